// One push channel (server-sent events) for live values and alarms: a snapshot, then only
// what changed. A silent channel greys every value: a frozen number is never shown as live.
export const state = { values: {}, alarms: [], now: null, connected: false };
const handlers = { live: [], alarms: [], link: [] };
let lastMessage = 0;

export function on(kind, fn) { handlers[kind].push(fn); }

function emit(kind, payload) { handlers[kind].forEach((fn) => fn(payload)); }

function link(up) {
  if (state.connected !== up) {
    state.connected = up;
    document.body.classList.toggle("offline", !up);
    emit("link", up);
  }
}

export function connect() {
  const source = new EventSource("/api/stream");
  source.addEventListener("live", (ev) => {
    lastMessage = Date.now();
    const body = JSON.parse(ev.data);
    state.now = body.now;
    for (const v of body.values) state.values[v.tag] = v;
    link(true);
    emit("live", body.values);
  });
  source.addEventListener("alarms", (ev) => {
    lastMessage = Date.now();
    state.alarms = JSON.parse(ev.data);
    link(true);
    emit("alarms", state.alarms);
  });
  source.addEventListener("beat", (ev) => {
    lastMessage = Date.now();
    state.now = JSON.parse(ev.data).now;
    link(true);
  });
  source.onerror = () => link(false);
  // the server beats every second: three silent seconds and the page says so
  setInterval(() => { if (Date.now() - lastMessage > 3000) link(false); }, 1000);
}
