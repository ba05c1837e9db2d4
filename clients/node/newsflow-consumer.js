// Read newsflow's enriched records from Node with the `nats` package
// (npm install nats): a durable pull consumer on the NEWS_ENRICHED stream,
// each record handled and then acknowledged, so a crash redelivers what was
// not finished. Records are upserted by id (a resent article's record
// replaces the earlier one: `dedup.resend`).
//
// As a program: prints one JSON line per record (id, language, dedup status,
// title, top entities) and stops after --idle-ms without new records
// (default: runs until interrupted). The server and credentials come from the
// variables the newsflow services read: NATS_URL, NATS_USER and
// NATS_PASSWORD or NATS_TOKEN, NEWSFLOW__NATS__INBOX_PREFIX. The consumer is
// named by NEWSFLOW_CONSUMER (default reader-node); on a secured server an
// operator creates it (deploy/nats/auth.conf), elsewhere this creates it.
//
// Exit status: 0 after a clean stop, 1 on an error (printed on stderr).

"use strict";

const { connect, AckPolicy, DeliverPolicy } = require("nats");

const STREAM = "NEWS_ENRICHED";
const SUBJECT = "news.enriched";

function options() {
  const env = process.env;
  const opts = {
    servers: (env.NATS_URL || "nats://127.0.0.1:4222").split(",").map((s) => s.trim()).filter(Boolean),
    name: "newsflow-node-consumer",
  };
  if (env.NATS_USER) Object.assign(opts, { user: env.NATS_USER, pass: env.NATS_PASSWORD || "" });
  if (env.NATS_TOKEN) opts.token = env.NATS_TOKEN;
  if (env.NEWSFLOW__NATS__INBOX_PREFIX) opts.inboxPrefix = env.NEWSFLOW__NATS__INBOX_PREFIX;
  return opts;
}

async function durableConsumer(nc, name) {
  const jsm = await nc.jetstreamManager();
  try {
    await jsm.consumers.info(STREAM, name);
  } catch (err) {
    if (!String(err.message).includes("consumer not found")) throw err;
    await jsm.consumers.add(STREAM, {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: SUBJECT,
    });
  }
  return nc.jetstream().consumers.get(STREAM, name);
}

// What an application does with a record; here: keep the latest per id and print it.
function handle(records, record) {
  records.set(record.id, record);
  const entities = (record.entities || []).slice(0, 3).map((e) => e.name);
  console.log(JSON.stringify({
    id: record.id,
    language: record.language && record.language.code,
    status: record.dedup && record.dedup.status,
    title: record.title,
    entities,
  }));
}

async function main() {
  const idleArg = process.argv.indexOf("--idle-ms");
  const idleMs = idleArg > 0 ? Number(process.argv[idleArg + 1]) : 0;
  const nc = await connect(options());
  const consumer = await durableConsumer(nc, process.env.NEWSFLOW_CONSUMER || "reader-node");
  const records = new Map();
  let idleSince = Date.now();
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 100, expires: 1000 });
    let received = 0;
    for await (const message of batch) {
      received += 1;
      handle(records, message.json());
      // Acknowledged only once handled; ackAck waits for the server's confirmation.
      await message.ackAck();
    }
    if (received > 0) idleSince = Date.now();
    else if (idleMs > 0 && Date.now() - idleSince >= idleMs) break;
  }
  await nc.drain();
  console.error(`read ${records.size} records from ${SUBJECT}`);
}

main().catch((err) => {
  console.error(`newsflow-consumer: ${err.message}`);
  process.exit(1);
});
