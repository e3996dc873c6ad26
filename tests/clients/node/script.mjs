// The npm `listmonk` client (1.0.2) against a live stmails: one scenario per
// run, chosen by argv[2], its arguments as JSON in SCENARIO_ARGS and the server
// and credentials in LISTMONK_URL, LISTMONK_USER and LISTMONK_TOKEN. Prints one
// JSON object: what each call answered ({status, data}) or how it failed
// ({error, status, data}). Run by tests/clients/test_node_listmonk*.py.
import Listmonk from "listmonk";

const client = new Listmonk(
  process.env.LISTMONK_URL,
  process.env.LISTMONK_USER,
  process.env.LISTMONK_TOKEN,
);
const args = JSON.parse(process.env.SCENARIO_ARGS || "{}");

// One call's outcome, keeping only what the tests read (axios' response
// objects hold sockets and do not serialise).
async function call(promise) {
  try {
    const response = await promise;
    return { status: response.status, data: response.data };
  } catch (err) {
    return {
      error: String(err.message || err),
      status: err.response ? err.response.status : null,
      data: err.response ? err.response.data : null,
    };
  }
}

const scenarios = {
  async lists() {
    const created = await call(client.create_list(args.name));
    const listed = await call(client.get_lists());
    return { created, listed };
  },
  async subscribers() {
    const created = await call(
      client.create_subscriber(args.email, args.name, args.lists, args.attribs),
    );
    const plain = await call(client.create_subscriber(args.other_email, "Other"));
    const duplicate = await call(client.create_subscriber(args.email, args.name));
    const ids = plain.data ? [plain.data.data.id] : [];
    const added = await call(client.add_subscribers_to_list(ids, args.lists));
    return { created, plain, duplicate, added };
  },
  async tx() {
    const sent = await call(
      client.send_transactional_mail(args.to, args.template_id, args.data, args.content_type),
    );
    return { sent };
  },
  async bad_login() {
    const wrong = new Listmonk(process.env.LISTMONK_URL, process.env.LISTMONK_USER, "wrong");
    return { listed: await call(wrong.get_lists()) };
  },
};

const run = scenarios[process.argv[2]];
if (!run) {
  console.error(`unknown scenario ${process.argv[2]}`);
  process.exit(2);
}
console.log(JSON.stringify(await run()));
