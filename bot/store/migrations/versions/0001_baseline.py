"""citybot's tables as they were when migrations began

Revision ID: 0001
Revises: (none)
Created: 2026-12-03 07:53:50.002529
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('staff_name', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=255), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)

    op.create_table('conversation_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.Column('fallback', sa.Boolean(), nullable=False),
    sa.Column('handoff', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sender_id', 'day', name='uq_conversation_day')
    )
    with op.batch_alter_table('conversation_days', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_days_day_channel', ['day', 'channel', 'sender_id', 'messages', 'fallback', 'handoff'], unique=False)
        batch_op.create_index('ix_conversation_days_day_language', ['day', 'language', 'channel', 'sender_id', 'messages', 'fallback', 'handoff'], unique=False)

    op.create_table('conversation_index',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('last_at', sa.DateTime(), nullable=False),
    sa.Column('first_message', sa.Text(), nullable=False),
    sa.Column('turns', sa.Integer(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('services', sa.String(length=512), nullable=False),
    sa.Column('intents', sa.Text(), nullable=False),
    sa.Column('had_fallback', sa.Boolean(), nullable=False),
    sa.Column('min_confidence', sa.Float(), nullable=True),
    sa.Column('handed_off', sa.Boolean(), nullable=False),
    sa.Column('forms_started', sa.String(length=512), nullable=False),
    sa.Column('forms_confirmed', sa.String(length=512), nullable=False),
    sa.Column('forms_filed', sa.String(length=512), nullable=False),
    sa.Column('active_form', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('fold_state', sa.JSON(), nullable=False),
    sa.Column('last_event_id', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sender_id')
    )
    with op.batch_alter_table('conversation_index', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_index_channel_last', ['channel', 'last_at'], unique=False)
        batch_op.create_index('ix_conversation_index_fallback_last', ['had_fallback', 'last_at'], unique=False)
        batch_op.create_index('ix_conversation_index_handoff_last', ['handed_off', 'last_at'], unique=False)
        batch_op.create_index('ix_conversation_index_language_last', ['language', 'last_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_index_last_at'), ['last_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_index_min_confidence'), ['min_confidence'], unique=False)

    op.create_table('conversation_reviews',
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('reviewed', sa.Boolean(), nullable=False),
    sa.Column('reviewed_by', sa.String(length=64), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sender_id')
    )
    with op.batch_alter_table('conversation_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_reviews_reviewed'), ['reviewed'], unique=False)

    op.create_table('conversation_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('tag', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sender_id', 'tag', name='uq_conversation_tag')
    )
    with op.batch_alter_table('conversation_tags', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_tags_tag_sender', ['tag', 'sender_id'], unique=False)

    op.create_table('conversation_texts',
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('sender_id')
    )
    op.create_table('corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('predicted_intent', sa.String(length=128), nullable=True),
    sa.Column('intent', sa.String(length=128), nullable=False),
    sa.Column('example', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('corrected_by', sa.String(length=64), nullable=False),
    sa.Column('corrected_at', sa.DateTime(), nullable=False),
    sa.Column('exported_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sender_id', 'event_id', name='uq_correction_message')
    )
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_corrections_exported_at'), ['exported_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrections_sender_id'), ['sender_id'], unique=False)

    op.create_table('form_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('form', sa.String(length=64), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sender_id', 'day', 'form', 'stage', name='uq_form_day')
    )
    with op.batch_alter_table('form_days', schema=None) as batch_op:
        batch_op.create_index('ix_form_days_day_form', ['day', 'form', 'stage', 'sender_id'], unique=False)

    op.create_table('handoff_claims',
    sa.Column('handoff_id', sa.Integer(), nullable=False),
    sa.Column('staff_name', sa.String(length=64), nullable=False),
    sa.Column('taken_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('handoff_id')
    )
    op.create_table('handoffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('last_message', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('released_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoffs_sender_id'), ['sender_id'], unique=False)

    op.create_table('index_state',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('last_event_id', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('intent_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('intent', sa.String(length=100), nullable=False),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sender_id', 'day', 'intent', name='uq_intent_day')
    )
    with op.batch_alter_table('intent_days', schema=None) as batch_op:
        batch_op.create_index('ix_intent_days_day_intent', ['day', 'intent', 'messages'], unique=False)

    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('remote', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempts_name_at', ['name', 'at'], unique=False)
        batch_op.create_index('ix_login_attempts_remote_at', ['remote', 'at'], unique=False)

    op.create_table('notifier_cursors',
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('cursor', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('source')
    )
    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('service_code', sa.String(length=64), nullable=False),
    sa.Column('service_name', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('token', sa.String(length=128), nullable=True),
    sa.Column('service_notice', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_sender_id'), ['sender_id'], unique=False)

    op.create_table('saved_details',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sender_id', 'kind')
    )
    with op.batch_alter_table('saved_details', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_details_sender_id'), ['sender_id'], unique=False)

    op.create_table('staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sender_id', 'kind', 'target', name='uq_subscription')
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_subscriptions_kind_target', ['kind', 'target', 'ended_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_sender_id'), ['sender_id'], unique=False)

    op.create_table('telegram_callbacks',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('telegram_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bot_id', sa.BigInteger(), nullable=False),
    sa.Column('key', sa.String(length=96), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('bot_id', 'key', name='uq_telegram_claim')
    )
    with op.batch_alter_table('telegram_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telegram_claims_created_at'), ['created_at'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('event_key', sa.String(length=160), nullable=False),
    sa.Column('intent', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('deadline', sa.DateTime(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subscription_id', 'event_key', name='uq_delivery_event')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_sender_attempt', ['sender_id', 'last_attempt_at'], unique=False)
        batch_op.create_index('ix_deliveries_status_due', ['status', 'due_at'], unique=False)

    op.create_table('staff_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sessions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_sessions_staff_id'), ['staff_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sessions_staff_id'))
        batch_op.drop_index(batch_op.f('ix_staff_sessions_expires_at'))

    op.drop_table('staff_sessions')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_status_due')
        batch_op.drop_index('ix_deliveries_sender_attempt')

    op.drop_table('deliveries')
    with op.batch_alter_table('telegram_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telegram_claims_created_at'))

    op.drop_table('telegram_claims')
    op.drop_table('telegram_callbacks')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_sender_id'))
        batch_op.drop_index('ix_subscriptions_kind_target')

    op.drop_table('subscriptions')
    op.drop_table('staff')
    with op.batch_alter_table('saved_details', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_details_sender_id'))

    op.drop_table('saved_details')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_sender_id'))

    op.drop_table('reports')
    op.drop_table('notifier_cursors')
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_remote_at')
        batch_op.drop_index('ix_login_attempts_name_at')

    op.drop_table('login_attempts')
    with op.batch_alter_table('intent_days', schema=None) as batch_op:
        batch_op.drop_index('ix_intent_days_day_intent')

    op.drop_table('intent_days')
    op.drop_table('index_state')
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoffs_sender_id'))

    op.drop_table('handoffs')
    op.drop_table('handoff_claims')
    with op.batch_alter_table('form_days', schema=None) as batch_op:
        batch_op.drop_index('ix_form_days_day_form')

    op.drop_table('form_days')
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_corrections_sender_id'))
        batch_op.drop_index(batch_op.f('ix_corrections_exported_at'))

    op.drop_table('corrections')
    op.drop_table('conversation_texts')
    with op.batch_alter_table('conversation_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_tags_tag_sender')

    op.drop_table('conversation_tags')
    with op.batch_alter_table('conversation_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_reviews_reviewed'))

    op.drop_table('conversation_reviews')
    with op.batch_alter_table('conversation_index', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_index_min_confidence'))
        batch_op.drop_index(batch_op.f('ix_conversation_index_last_at'))
        batch_op.drop_index('ix_conversation_index_language_last')
        batch_op.drop_index('ix_conversation_index_handoff_last')
        batch_op.drop_index('ix_conversation_index_fallback_last')
        batch_op.drop_index('ix_conversation_index_channel_last')

    op.drop_table('conversation_index')
    with op.batch_alter_table('conversation_days', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_days_day_language')
        batch_op.drop_index('ix_conversation_days_day_channel')

    op.drop_table('conversation_days')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
