"""Rasa's whitespace tokenizer, with each Russian word's dictionary form as its lemma.

Russian inflects: "яма", "ямы", "яму", "ямой" are one word to a citizen and four to a word-count
featurizer, so a form the training data lacks counts for nothing. pymorphy3 (already what the
sandbox's address search and ``bot.language`` read Russian with) gives each Cyrillic word its
likeliest dictionary form, and Rasa's ``CountVectorsFeaturizer`` counts lemmas by default
(``use_lemma``). Other words keep their text as the lemma, as with the stock tokenizer, so English
features do not change. docs/nlu.md has the measurement behind it.
"""

from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.morph import lemma


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class RussianLemmaTokenizer(WhitespaceTokenizer):
    """Whitespace tokens; a Cyrillic token's lemma is its likeliest dictionary form."""

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = lemma(token.text)
        return tokens
