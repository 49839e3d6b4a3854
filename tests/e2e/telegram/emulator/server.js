// telegram-test-api 4.2.1 as a Bot API that python-telegram-bot 22 can talk to.
//
// The package emulates a handful of methods and answers some in shapes PTB rejects. This wrapper
// puts its own routes in front of the package's and wraps two of its methods. What it changes,
// and why (each is a place where the package is not Telegram):
//   getMe                 adds is_bot (PTB's User needs it); the id comes from the token
//   sendMessage           dates in seconds, not milliseconds; the reply carries `from`
//   editMessageText       returns the edited message (was null); like Telegram, an edit without
//   editMessageReplyMarkup  reply_markup removes the inline keyboard
//   callback queries      carry chat_instance (PTB needs it)
//   update ids            unique also for updates sent at the same moment
//   setWebhook            returns true (was null), keeps secret_token and sends it as
//                         X-Telegram-Bot-Api-Secret-Token with every delivery (the package sent
//                         none), and a failed delivery no longer crashes the emulator
//   answerCallbackQuery, sendChatAction, setMyCommands, getMyCommands, getFile, file download:
//                         not in the package; emulated here and recorded for the tests
// Test-only routes: POST /files {file_id, base64} (a photo a user sends), POST /faults
// {method, token, times, retry_after} (answer the next calls with Telegram's 429),
// GET /calls?token=… (what the bot called), POST /resetCalls.
'use strict';

const axios = require('axios');
const routesIndex = require('telegram-test-api/lib/routes/index');
const { TelegramServer } = require('telegram-test-api/lib/telegramServer');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const port = Number(option('port', process.env.PORT || 9000));
const host = option('host', '127.0.0.1');

const files = new Map(); // file_id -> Buffer
const faults = []; // {method, token, times, retry_after}
const calls = new Map(); // token -> [{method, body, at}]
const commands = new Map(); // token -> {language_code ('' for the default menu) -> [BotCommand]}
const menus = (token) => { if (!commands.has(token)) commands.set(token, {}); return commands.get(token); };
const webhooks = new Map(); // token -> {url, secret_token}

const seconds = (ms) => Math.floor(ms / 1000);
const botId = (token) => {
  const prefix = String(token).split(':')[0];
  return /^\d+$/.test(prefix) ? Number(prefix) : 666;
};
const parse = (value) => {
  if (typeof value !== 'string') return value;
  try { return JSON.parse(value); } catch (e) { return value; }
};
const record = (token, method, body) => {
  if (!calls.has(token)) calls.set(token, []);
  calls.get(token).push({ method, body, at: Date.now() });
};
const ok = (res, result) => res.json({ ok: true, result });
const refused = (res, status, description, parameters) => res.status(status).json({
  ok: false, error_code: status, description, ...(parameters ? { parameters } : {}),
});

function botMessage(server, stored) {
  const m = stored.message;
  const out = {
    message_id: stored.messageId,
    date: seconds(stored.time),
    chat: { id: Number(m.chat_id), type: 'private', first_name: 'Citizen' },
    from: { id: botId(stored.botToken), is_bot: true, first_name: 'citybot', username: 'citybot_test_bot' },
    text: m.text,
  };
  if (m.reply_markup && 'inline_keyboard' in m.reply_markup) out.reply_markup = m.reply_markup;
  return out;
}

function findStored(server, body) {
  return server.storage.botMessages.find((u) => String(u.messageId) === String(body.message_id)
    && String(u.message.chat_id) === String(body.chat_id));
}

// Our routes, registered before the package's own.
function patchedRoutes(app, server) {
  // Every bot call: recorded, and answered 429 while a fault for it is armed.
  app.all('/bot:token/:method', (req, res, next) => {
    const { token, method } = req.params;
    record(token, method, req.body);
    const fault = faults.find((f) => f.method === method && (!f.token || f.token === token)
      && f.times > 0);
    if (fault) {
      fault.times -= 1;
      refused(res, 429, `Too Many Requests: retry after ${fault.retry_after}`,
        { retry_after: fault.retry_after });
      return;
    }
    next();
  });
  app.all('/bot:token/getMe', (req, res) => ok(res, {
    id: botId(req.params.token), is_bot: true, first_name: 'citybot',
    username: 'citybot_test_bot', can_join_groups: false,
    can_read_all_group_messages: false, supports_inline_queries: false,
  }));
  app.all('/bot:token/sendMessage', (req, res) => {
    const body = { ...req.body, reply_markup: parse(req.body.reply_markup) };
    if (body.reply_markup === undefined) delete body.reply_markup;
    server.addBotMessage(body, req.params.token);
    const stored = server.storage.botMessages[server.storage.botMessages.length - 1];
    ok(res, botMessage(server, stored));
  });
  const edit = (changeText) => (req, res) => {
    const stored = findStored(server, req.body);
    if (!stored) return refused(res, 400, 'Bad Request: message to edit not found');
    const markup = parse(req.body.reply_markup);
    stored.message = { ...stored.message, reply_markup: markup || undefined };
    if (changeText) stored.message.text = req.body.text;
    stored.edited = (stored.edited || 0) + 1;
    return ok(res, botMessage(server, stored));
  };
  app.all('/bot:token/editMessageText', edit(true));
  app.all('/bot:token/editMessageReplyMarkup', edit(false));
  app.all('/bot:token/setWebhook', (req, res) => {
    webhooks.set(req.params.token, { url: req.body.url, secret_token: req.body.secret_token });
    server.setWebhook({ url: req.body.url }, req.params.token);
    ok(res, true);
  });
  app.all('/bot:token/deleteWebhook', (req, res) => {
    webhooks.delete(req.params.token);
    server.deleteWebhook(req.params.token);
    ok(res, true);
  });
  app.all('/bot:token/answerCallbackQuery', (req, res) => ok(res, true));
  app.all('/bot:token/sendChatAction', (req, res) => ok(res, true));
  app.all('/bot:token/setMyCommands', (req, res) => {
    menus(req.params.token)[req.body.language_code || ''] = parse(req.body.commands) || [];
    ok(res, true);
  });
  app.all('/bot:token/getMyCommands', (req, res) => ok(
    res, menus(req.params.token)[(req.body && req.body.language_code) || ''] || []));
  app.all('/bot:token/getFile', (req, res) => {
    const data = files.get(req.body.file_id);
    if (!data) return refused(res, 400, 'Bad Request: invalid file_id');
    return ok(res, {
      file_id: req.body.file_id, file_unique_id: `u-${req.body.file_id}`,
      file_size: data.length, file_path: `photos/${req.body.file_id}.jpg`,
    });
  });
  app.get('/file/bot:token/photos/:name', (req, res) => {
    const data = files.get(req.params.name.replace(/\.jpg$/, ''));
    if (!data) return res.status(404).end();
    return res.type('image/jpeg').send(data);
  });

  // Test-only routes.
  app.post('/files', (req, res) => {
    files.set(req.body.file_id, Buffer.from(req.body.base64, 'base64'));
    ok(res, true);
  });
  app.post('/faults', (req, res) => {
    faults.push({ times: 1, retry_after: 1, ...req.body });
    ok(res, true);
  });
  app.get('/calls', (req, res) => ok(res, {
    calls: calls.get(req.query.token) || [],
    commands: menus(req.query.token)[''] || [],
    commands_by_language: menus(req.query.token),
    webhook: webhooks.get(req.query.token) || null,
  }));
  app.post('/resetCalls', (req, res) => { calls.clear(); ok(res, true); });
  app.post('/botMessages', (req, res) => ok(res, server.storage.botMessages
    .filter((u) => u.botToken === req.body.token
      && String(u.message.chat_id) === String(req.body.chatId))
    .map((u) => ({ ...botMessage(server, u), edited: u.edited || 0,
      raw_reply_markup: u.message.reply_markup || null }))));
}
routesIndex.routes.unshift(patchedRoutes);

const formatUpdate = TelegramServer.formatUpdate;
TelegramServer.formatUpdate = (update) => {
  const out = formatUpdate(update);
  if (out.callback_query) {
    out.callback_query.chat_instance = String(out.callback_query.from && out.callback_query.from.id);
  }
  if (out.message && !out.message.date) out.message.date = seconds(Date.now());
  return out;
};

class PatchedServer extends TelegramServer {
  // Webhook delivery with the secret token, as Telegram does; a refused delivery is logged.
  // The package counts update ids up only after the delivery, so two updates sent at once
  // shared an id; Telegram's ids are unique, so the count goes up first.
  async addUserUpdate(update) {
    this.updateId++;
    const hook = webhooks.get(update.botToken);
    if (!hook) {
      this.storage.userMessages.push(update);
      return;
    }
    const headers = hook.secret_token ? { 'X-Telegram-Bot-Api-Secret-Token': hook.secret_token } : {};
    try {
      const resp = await axios.post(hook.url, TelegramServer.formatUpdate(update),
        { headers, validateStatus: () => true });
      if (resp.status > 204) console.error(`webhook ${hook.url} answered ${resp.status}`);
    } catch (error) {
      console.error(`webhook ${hook.url} failed: ${error.message}`);
    }
  }
}

const server = new PatchedServer({ port, host, storeTimeout: 600 });
server.start().then(() => console.log(`telegram emulator ready on http://${host}:${port}`));
const stop = () => server.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
