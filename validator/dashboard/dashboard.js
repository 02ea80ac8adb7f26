// The MindOS dashboard. Talks JSON-RPC over one WebSocket to the validator gateway that
// served it: `network_subscribe_blocks` announces each finalized block; on each, the page
// reads `validator_status` and `network_overview` and redraws. It writes nothing, stores
// nothing and holds no secret. Every text from the chain is set with textContent, never as
// markup.
'use strict';

(() => {
  const SVG = 'http://www.w3.org/2000/svg';
  const PPB = 1e9;
  const PLANCK_PER_MIND = 1e12;
  // Reads at most this often, whatever the block time.
  const MIN_REFRESH_MS = 1000;
  // Without block notifications (no chain, or a stalled follower), read this often.
  const IDLE_REFRESH_MS = 10000;
  const CALL_TIMEOUT_MS = 30000;
  // Neurons charted at most per subnet (the table has them all).
  const CHART_MAX = 128;

  const state = {
    status: null,
    overview: null,
    chainNote: null,
    head: null,
    // Sort of each subnet's metagraph table: netuid -> {key, dir}.
    sorts: new Map(),
  };

  // --- DOM helpers -------------------------------------------------------------------------

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    applyAttrs(el, attrs);
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG, tag);
    applyAttrs(el, attrs);
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  function applyAttrs(el, attrs) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'onclick') el.addEventListener('click', value);
      else el.setAttribute(name, value === true ? '' : String(value));
    }
  }

  // Redraws the element `id` with `children`, keeping where the reader scrolled its
  // sideways-scrolling parts (on a phone, a wide table) across the redraw.
  function replace(id, ...children) {
    const el = document.getElementById(id);
    const scrolled = new Map();
    for (const part of el.querySelectorAll('[data-scroll]')) {
      scrolled.set(part.getAttribute('data-scroll'), part.scrollLeft);
    }
    el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
    for (const part of el.querySelectorAll('[data-scroll]')) {
      const left = scrolled.get(part.getAttribute('data-scroll'));
      if (left) part.scrollLeft = left;
    }
  }

  // --- formatting ----------------------------------------------------------------------------

  const field = (row, ...names) => {
    for (const name of names) if (row && row[name] !== undefined) return row[name];
    return undefined;
  };
  const num = (v) => (v === null || v === undefined || v === '' ? NaN : Number(v));
  const pct = (ppb) => (Number.isFinite(num(ppb)) ? `${(num(ppb) / PPB * 100).toFixed(2)} %` : '–');
  const share = (x) => (Number.isFinite(num(x)) ? `${(num(x) * 100).toFixed(0)} %` : '–');
  const ms = (x) => (Number.isFinite(num(x)) ? `${num(x).toFixed(1)} ms` : '–');
  const mind = (planck) => {
    const v = num(planck) / PLANCK_PER_MIND;
    if (!Number.isFinite(v)) return '–';
    if (v === 0) return '0';
    return v >= 1000 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(4);
  };
  const short = (text, n = 6) => {
    const t = String(text ?? '');
    return t.length > 2 * n + 1 ? `${t.slice(0, n)}…${t.slice(-n)}` : t;
  };
  const yes = (b) => (b ? 'yes' : 'no');
  // The chain's camelCase names for people: `wrongOutput` → `wrong output`.
  const words = (name) => String(name ?? '–').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  const statusText = (st) => {
    if (typeof st === 'string') return st;
    if (st && typeof st === 'object') {
      const [k, v] = Object.entries(st)[0] || [];
      if (!k) return '–';
      if (v && typeof v === 'object') {
        const detail = Object.entries(v).map(([a, b]) => `${a} ${b}`).join(', ');
        return `${k} (${detail})`;
      }
      return k;
    }
    return '–';
  };
  // A proposal's action as `mindos_proposals` writes it (`{"addDirective": {"title",
  // "text"}}`, `{"setParameter": {"kappa": 600000000}}`, …): one line, and the full text.
  const actionText = (action) => {
    const [kind, body] = action && typeof action === 'object' ? Object.entries(action)[0] || [] : [];
    if (kind === 'addDirective' && body) return [`add directive “${body.title}”`, body.text];
    if (kind === 'amendDirective' && body) return [`amend directive ${body.id} to “${body.title}”`, body.text];
    if (kind === 'repealDirective' && body) return [`repeal directive ${body.id}`, null];
    if (kind === 'setParameter' && body && typeof body === 'object') {
      const [name, value] = Object.entries(body)[0] || [];
      if (name) return [`set ${name} to ${summary(value)}`, null];
    }
    return [summary(action), null];
  };
  const scopeText = (scope) => {
    if (scope && typeof scope === 'object' && scope.subnet !== undefined) return `subnet ${scope.subnet}`;
    return summary(scope);
  };
  const summary = (value) => {
    if (value === null || value === undefined) return '–';
    if (typeof value !== 'object') return String(value);
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}…` : text;
  };

  // --- JSON-RPC over WebSocket ---------------------------------------------------------------

  class Rpc {
    constructor(url) {
      this.url = url;
      this.nextId = 1;
      this.pending = new Map();
      this.ws = null;
      this.backoff = 500;
      this.onBlock = () => {};
      this.onState = () => {};
    }

    connect() {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      this.onState('connecting');
      ws.addEventListener('open', () => {
        this.backoff = 500;
        this.onState('open');
        this.call('network_subscribe_blocks').catch((e) => this.onState('no-subscription', e));
      });
      ws.addEventListener('message', (event) => this.receive(event.data));
      ws.addEventListener('close', () => {
        for (const { reject, timer } of this.pending.values()) {
          clearTimeout(timer);
          reject(new Error('connection closed'));
        }
        this.pending.clear();
        if (this.ws !== ws) return;
        this.onState('closed');
        const wait = this.backoff;
        this.backoff = Math.min(this.backoff * 2, 30000);
        setTimeout(() => this.connect(), wait);
      });
    }

    receive(data) {
      let message;
      try {
        message = JSON.parse(data);
      } catch (e) {
        return;
      }
      if (message.method === 'network_block' && message.params) {
        this.onBlock(message.params.result);
        return;
      }
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      clearTimeout(waiting.timer);
      if (message.error) {
        const error = new Error(message.error.message);
        error.code = message.error.code;
        waiting.reject(error);
      } else {
        waiting.resolve(message.result);
      }
    }

    call(method, params = []) {
      return new Promise((resolve, reject) => {
        if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
          reject(new Error('not connected'));
          return;
        }
        const id = this.nextId++;
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new Error(`${method} timed out`));
        }, CALL_TIMEOUT_MS);
        this.pending.set(id, { resolve, reject, timer });
        this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      });
    }
  }

  // --- reading -------------------------------------------------------------------------------

  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const rpc = new Rpc(`${scheme}//${location.host}/`);
  let refreshing = false;
  let again = false;
  let lastRefresh = 0;

  async function refresh() {
    if (refreshing) {
      again = true;
      return;
    }
    const wait = lastRefresh + MIN_REFRESH_MS - Date.now();
    if (wait > 0) {
      refreshing = true;
      setTimeout(() => {
        refreshing = false;
        refresh();
      }, wait);
      return;
    }
    refreshing = true;
    again = false;
    lastRefresh = Date.now();
    try {
      state.status = await rpc.call('validator_status');
      try {
        state.overview = await rpc.call('network_overview');
        state.chainNote = null;
      } catch (e) {
        // The chain's part stays as last read (none without a chain), and says why.
        state.chainNote = state.overview ? `${e.message} (showing block #${state.overview.block.number})` : e.message;
      }
      render();
    } catch (e) {
      setConnection('down', `read failed: ${e.message}; retrying`);
    } finally {
      refreshing = false;
      if (again) refresh();
    }
  }

  function setConnection(kind, text) {
    const el = document.getElementById('connection');
    el.className = `connection ${kind}`;
    el.textContent = text;
  }

  rpc.onState = (st) => {
    if (st === 'open') {
      setConnection('live', 'live: updates at every finalized block');
      refresh();
    } else if (st === 'closed') {
      setConnection('down', 'disconnected from the gateway; reconnecting…');
    } else if (st === 'no-subscription') {
      setConnection('live', `live (no block subscription: refreshing every ${IDLE_REFRESH_MS / 1000} s)`);
    }
  };
  rpc.onBlock = (head) => {
    state.head = head;
    document.getElementById('block').textContent = `#${head.number}`;
    refresh();
  };

  setInterval(() => {
    if (Date.now() - lastRefresh > IDLE_REFRESH_MS) refresh();
  }, IDLE_REFRESH_MS / 2);

  // --- drawing -------------------------------------------------------------------------------

  function render() {
    const { status, overview } = state;
    const block = overview ? overview.block : status && status.finalized;
    const shown = state.head && block && state.head.number > block.number ? state.head : block;
    document.getElementById('block').textContent = shown ? `#${shown.number}` : 'no chain';
    document.getElementById('block').setAttribute('data-block', shown ? shown.number : '');
    document.getElementById('validator').textContent = status ? short(status.peer_id, 8) : '–';
    document.getElementById('validator').title = status ? status.peer_id : '';
    document.getElementById('updated').textContent = new Date().toLocaleTimeString();
    renderSubnets();
    renderMesh();
    renderGovernance();
    renderSentinels();
  }

  function chainSubnet(netuid) {
    const rows = state.overview && Array.isArray(state.overview.subnets) ? state.overview.subnets : [];
    return rows.find((r) => r.netuid === netuid);
  }

  function metagraphOf(netuid) {
    const graphs = state.overview ? state.overview.metagraphs : [];
    const graph = graphs.find((g) => g.netuid === netuid);
    return graph && Array.isArray(graph.neurons) ? graph.neurons : [];
  }

  function renderSubnets() {
    const subnets = state.status ? state.status.subnets : [];
    const cards = subnets.map((local) => subnetCard(local));
    replace('subnet-list', h('div', { class: 'cards subnets' }, cards),
      state.chainNote ? h('p', { class: 'note' }, `Chain: ${state.chainNote}`) : null);
  }

  // The metagraph's columns: key, heading, value for sorting, cell.
  const COLUMNS = [
    ['uid', 'uid', (r) => r.uid, (r) => r.uid],
    ['role', 'role', (r) => (r.permit ? 0 : 1), (r) => h('span', { class: `role ${r.permit ? 'validator' : 'miner'}` }, r.own ? 'this validator' : r.permit ? 'validator' : 'miner')],
    ['hotkey', 'hotkey', (r) => r.hotkey, (r) => h('span', { class: 'mono', title: r.hotkey }, short(r.hotkey))],
    ['stake', 'stake (MIND)', (r) => num(r.stake), (r) => mind(r.stake)],
    ['incentive', 'incentive', (r) => num(r.incentive), (r) => h('span', { 'data-field': 'incentive' }, pct(r.incentive))],
    ['dividends', 'dividends', (r) => num(r.dividends), (r) => pct(r.dividends)],
    ['reputation', 'reputation', (r) => num(r.reputation), (r) => pct(r.reputation)],
    ['emission', 'emission (MIND)', (r) => num(r.emission), (r) => mind(r.emission)],
    ['quarantine', 'quarantine', (r) => (r.quarantinedUntil === null || r.quarantinedUntil === undefined ? -1 : num(r.quarantinedUntil)), (r) => (r.quarantinedUntil === null || r.quarantinedUntil === undefined ? '–' : h('span', { class: 'bad' }, `until epoch ${r.quarantinedUntil}`))],
    ['score', 'score', (r) => (r.local ? r.local.score : -1), (r) => (r.local ? r.local.score.toFixed(3) : '–')],
    ['latency', 'latency', (r) => (r.local && r.local.latency_ms.length ? r.local.latency_ms[r.local.latency_ms.length - 1] : Infinity), (r) => latencyCell(r.local)],
    ['load', 'load', (r) => (r.local && r.local.load !== null ? r.local.load : -1), (r) => loadCell(r.local)],
  ];

  function latencyCell(local) {
    if (!local || !local.latency_ms.length) return '–';
    const values = local.latency_ms;
    return h('span', { title: values.map((v) => v.toFixed(1)).join(', ') + ' ms' },
      sparkline(values), ' ', ms(values[values.length - 1]));
  }

  function loadCell(local) {
    if (!local || local.load === null || local.load === undefined) return '–';
    const bar = h('span', { class: 'bar load' }, h('span'));
    bar.firstChild.style.width = `${Math.round(Math.min(1, Math.max(0, local.load)) * 100)}%`;
    return h('span', { title: `queue depth ${local.queue_depth ?? '–'}` }, bar, ' ', share(local.load));
  }

  function sparkline(values) {
    const max = Math.max(...values, 1e-9);
    const step = values.length > 1 ? 64 / (values.length - 1) : 0;
    const points = values.map((v, i) => `${(i * step).toFixed(1)},${(15 - (v / max) * 14).toFixed(1)}`).join(' ');
    return s('svg', { class: 'spark', viewBox: '0 0 64 16', 'aria-hidden': 'true' }, s('polyline', { points }));
  }

  function rowsOf(local) {
    const miners = new Map((local.miners || []).map((m) => [m.uid, m]));
    const ownUid = local.own_uid;
    return metagraphOf(local.netuid).map((n) => ({
      uid: n.uid,
      permit: Boolean(field(n, 'validatorPermit', 'validator_permit')),
      own: ownUid !== null && ownUid !== undefined && n.uid === ownUid,
      hotkey: n.hotkey,
      stake: n.stake,
      incentive: n.incentive,
      dividends: n.dividends,
      reputation: n.reputation,
      emission: n.emission,
      quarantinedUntil: field(n, 'quarantinedUntil', 'quarantined_until'),
      local: miners.get(n.uid) || null,
    }));
  }

  function subnetCard(local) {
    const chain = chainSubnet(local.netuid);
    const task = chain ? chain.task : null;
    const hyper = chain ? chain.hyperparameters : null;
    const digest = task ? field(task, 'model_digest', 'modelDigest') : local.model_digest;
    const rows = rowsOf(local);
    const chips = [
      `netuid ${local.netuid}`,
      task ? `${String(task.modality).toLowerCase()} · ${field(task, 'scoring_rule', 'scoringRule')}` : null,
      hyper ? `tempo ${hyper.tempo}` : null,
      chain ? `${chain.neurons} neurons` : `${local.miners.length} miners served`,
      hyper ? (hyper.commit_reveal ? 'commit-reveal' : 'set weights') : null,
    ].filter(Boolean).map((c) => h('span', { class: 'chip' }, c));
    const mismatch = digest && local.model_digest && digest !== local.model_digest;
    return h('article', { class: 'card subnet', 'data-netuid': local.netuid },
      h('h3', null, local.name, ' ', h('span', { class: 'muted' }, `· subnet ${local.netuid}`)),
      h('div', { class: 'chips' }, chips),
      h('div', { class: 'digest' }, h('span', { class: 'muted' }, 'model digest '),
        h('code', { 'data-field': 'model-digest' }, digest || '–'),
        mismatch ? h('span', { class: 'bad' }, ' (this validator runs another model!)') : null),
      rows.length ? chart(local.netuid, chartRows(rows)) : h('p', { class: 'note' }, state.overview ? 'No neurons registered yet.' : 'No chain data.'),
      rows.length > CHART_MAX ? h('p', { class: 'note' }, `The chart shows the ${CHART_MAX} neurons of largest incentive of ${rows.length}.`) : null,
      rows.length ? metagraphTable(local.netuid, rows) : minersOnly(local));
  }

  // A subnet of thousands of neurons: chart those of largest incentive, in uid order.
  function chartRows(rows) {
    if (rows.length <= CHART_MAX) return rows;
    return rows.slice().sort((a, b) => num(b.incentive) - num(a.incentive) || a.uid - b.uid)
      .slice(0, CHART_MAX).sort((a, b) => a.uid - b.uid);
  }

  function chart(netuid, rows) {
    // Drawn at the width it is shown at (no scaling): the list's width less the card's padding.
    const room = document.getElementById('subnet-list').clientWidth - 26;
    const width = Math.max(280, room, rows.length * 24 + 40);
    const height = 140;
    const base = 112;
    const slot = Math.min(80, (width - 40) / rows.length);
    const bar = Math.max(3, Math.min(12, slot / 4));
    const maxStake = Math.max(...rows.map((r) => num(r.stake) || 0), 1);
    const parts = [s('line', { class: 'axis', x1: 30, y1: base, x2: width - 4, y2: base })];
    for (const [v, label] of [[0, '0'], [0.5, '50%'], [1, '100%']]) {
      parts.push(s('text', { x: 0, y: base - v * 100 + 3 }, label));
    }
    rows.forEach((r, i) => {
      const x = 34 + i * slot;
      const bars = [
        ['incentive', num(r.incentive) / PPB || 0],
        ['reputation', num(r.reputation) / PPB || 0],
        ['stake', (num(r.stake) || 0) / maxStake],
      ];
      bars.forEach(([cls, v], j) => {
        const hgt = Math.max(0, Math.min(1, v)) * 100;
        parts.push(s('rect', { class: cls, x: (x + j * (bar + 1)).toFixed(1), y: (base - hgt).toFixed(1), width: bar, height: hgt.toFixed(1) },
          s('title', null, `uid ${r.uid} ${cls}: ${cls === 'stake' ? mind(r.stake) + ' MIND' : pct(cls === 'incentive' ? r.incentive : r.reputation)}`)));
      });
      const quarantined = r.quarantinedUntil !== null && r.quarantinedUntil !== undefined;
      parts.push(s('text', { x: (x + bar).toFixed(1), y: base + 14, class: quarantined ? 'quarantine' : null }, `${r.uid}`));
      if (quarantined) parts.push(s('rect', { class: 'quarantine', x: x.toFixed(1), y: base + 18, width: 3 * bar, height: 3 }));
    });
    return h('div', null,
      h('div', { class: 'scroll', 'data-scroll': `chart-${netuid}` }, s('svg', { class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'incentive, reputation and stake by uid' }, parts)),
      h('div', { class: 'legend' }, h('span', { class: 'incentive' }, 'incentive'), h('span', { class: 'reputation' }, 'reputation'), h('span', { class: 'stake' }, 'stake (of the largest)')));
  }

  function metagraphTable(netuid, rows) {
    const sort = state.sorts.get(netuid) || { key: 'uid', dir: 1 };
    const column = COLUMNS.find((c) => c[0] === sort.key) || COLUMNS[0];
    const sorted = rows.slice().sort((a, b) => {
      const x = column[2](a);
      const y = column[2](b);
      const order = typeof x === 'string' ? String(x).localeCompare(String(y)) : (x > y) - (x < y);
      return order * sort.dir || a.uid - b.uid;
    });
    const head = h('tr', null, COLUMNS.map(([key, label]) => h('th', {
      class: 'sortable', 'data-sort': key, scope: 'col',
      'aria-sort': key === sort.key ? (sort.dir > 0 ? 'ascending' : 'descending') : null,
      onclick: () => {
        const now = state.sorts.get(netuid) || { key: 'uid', dir: 1 };
        state.sorts.set(netuid, { key, dir: now.key === key ? -now.dir : (key === 'uid' || key === 'role' || key === 'hotkey' ? 1 : -1) });
        renderSubnets();
      },
    }, label)));
    const body = sorted.map((r) => h('tr', {
      'data-uid': r.uid,
      class: [r.own ? 'own' : '', r.quarantinedUntil !== null && r.quarantinedUntil !== undefined ? 'quarantined' : ''].join(' ').trim() || null,
    }, COLUMNS.map((c) => h('td', null, c[3](r)))));
    return h('div', { class: 'scroll', 'data-scroll': `metagraph-${netuid}` }, h('table', { class: 'metagraph', 'data-netuid': netuid }, h('thead', null, head), h('tbody', null, body)));
  }

  // Without a chain: the miners this validator was told of.
  function minersOnly(local) {
    if (!local.miners.length) return h('p', { class: 'note' }, 'No miners served.');
    return h('div', { class: 'scroll', 'data-scroll': `miners-${local.netuid}` }, h('table', { class: 'metagraph', 'data-netuid': local.netuid },
      h('thead', null, h('tr', null, ['uid', 'peer', 'score', 'latency', 'load'].map((t) => h('th', null, t)))),
      h('tbody', null, local.miners.map((m) => h('tr', { 'data-uid': m.uid },
        h('td', null, m.uid), h('td', { class: 'mono', title: m.peer_id }, short(m.peer_id)),
        h('td', null, m.score.toFixed(3)), h('td', null, latencyCell(m)), h('td', null, loadCell(m)))))));
  }

  // A table of `rows` under `headings` (a heading `[label, 'text']` heads a column of text,
  // aligned left), or the note `empty`.
  function table(cls, headings, rows, empty) {
    if (!rows.length) return h('p', { class: 'note' }, empty);
    return h('div', { class: 'scroll', 'data-scroll': cls }, h('table', { class: cls },
      h('thead', null, h('tr', null, headings.map((t) => (Array.isArray(t)
        ? h('th', { scope: 'col', class: t[1] }, t[0]) : h('th', { scope: 'col' }, t))))),
      h('tbody', null, rows)));
  }

  function renderMesh() {
    const peers = state.status ? state.status.peers : [];
    replace('mesh-peers', table('peers', ['peer', 'neurons', 'connected', 'ping', 'beat subnet', 'load', 'queue'],
      peers.map((p) => h('tr', { 'data-peer': p.peer_id },
        h('td', { class: 'mono', title: p.peer_id }, short(p.peer_id, 8)),
        h('td', null, p.neurons.map((n) => `subnet ${n.netuid} uid ${n.uid}`).join(', ')),
        h('td', { class: p.connected ? 'good' : 'bad' }, yes(p.connected)),
        h('td', null, ms(p.rtt_ms)),
        h('td', null, p.beat_netuid ?? '–'),
        h('td', null, share(p.load)),
        h('td', null, p.queue_depth ?? '–'))),
      'No mesh peer among the subnets\u2019 neurons yet.'));
  }

  function renderGovernance() {
    const o = state.overview;
    if (!o) {
      replace('directives', h('p', { class: 'note' }, 'No chain data.'));
      replace('proposals');
      return;
    }
    const directives = Array.isArray(o.directives) ? o.directives : [];
    replace('directives', h('h4', null, 'directives'), directives.length
      ? directives.map((d) => h('div', { class: 'directive', 'data-directive': d.id },
        h('strong', null, `${d.id}. ${d.title}`), ' ',
        h('span', { class: 'chip' }, statusText(d.status)), h('div', { class: 'text' }, d.text)))
      : h('p', { class: 'note' }, 'No directives.'));
    const proposals = Array.isArray(o.proposals) ? o.proposals : [];
    replace('proposals', h('h4', null, 'open proposals'), table('proposals',
      ['#', ['action', 'text'], 'scope', 'ayes (MIND)', 'nays (MIND)', 'tally', 'voters', 'voting ends (block)', 'status'],
      proposals.map((p) => {
        const ayes = num(p.ayes) || 0;
        const nays = num(p.nays) || 0;
        const total = ayes + nays;
        const tally = h('span', { class: 'tally', title: `${mind(p.ayes)} aye, ${mind(p.nays)} nay` },
          h('span', { class: 'ayes' }), h('span', { class: 'nays' }));
        tally.children[0].style.width = `${total ? (ayes / total) * 100 : 0}%`;
        tally.children[1].style.width = `${total ? (nays / total) * 100 : 0}%`;
        const voters = Array.isArray(p.voters) ? p.voters.length : (p.voters ?? '–');
        const [action, text] = actionText(p.action);
        return h('tr', { 'data-proposal': p.index },
          h('td', null, p.index),
          h('td', { class: 'text', 'data-field': 'action' }, action,
            text ? h('div', { class: 'muted' }, text) : null),
          h('td', { 'data-field': 'scope' }, scopeText(p.scope)),
          h('td', { 'data-field': 'ayes' }, mind(p.ayes)), h('td', { 'data-field': 'nays' }, mind(p.nays)),
          h('td', null, tally),
          h('td', { 'data-field': 'voters' }, voters),
          h('td', null, field(p, 'votingEnds', 'voting_ends') ?? '–'),
          h('td', { 'data-field': 'status' }, statusText(p.status)));
      }), 'No proposal is open.'));
  }

  function renderSentinels() {
    const o = state.overview;
    if (!o) {
      replace('committees', h('p', { class: 'note' }, 'No chain data.'));
      replace('cases');
      replace('quarantines');
      return;
    }
    const committees = Array.isArray(o.committees) ? o.committees : [];
    replace('committees', h('h4', null, 'committees'), table('committees',
      ['subnet', 'epoch', 'duty', 'size', 'f', 'threshold', ['members (uid)', 'text']],
      committees.map(({ netuid, committee: c }) => h('tr', { 'data-netuid': netuid },
        h('td', null, netuid),
        c ? [
          h('td', null, c.epoch), h('td', null, c.duty), h('td', { 'data-field': 'size' }, c.size),
          h('td', null, field(c, 'faultTolerance', 'fault_tolerance')), h('td', null, c.threshold),
          h('td', { class: 'text', 'data-field': 'members' }, (c.members || []).map((m) => m.uid).join(', ') || '–'),
        ] : h('td', { class: 'text', colspan: 6 }, 'none drawn yet'))),
      'No subnet.'));
    const cases = o.cases && Array.isArray(o.cases.cases) ? o.cases.cases : [];
    const audits = o.cases && Array.isArray(o.cases.audits) ? o.cases.audits : [];
    const count = (list) => (Array.isArray(list) ? list.length : 0);
    replace('cases', h('h4', null, 'open cases'), table('cases',
      ['case', 'subnet', 'uid', 'offence', 'guilty', 'not guilty', 'expires at (block)', 'status'],
      cases.map((c) => h('tr', { 'data-case': c.id, 'data-uid': c.uid },
        h('td', null, c.id), h('td', null, c.netuid), h('td', null, c.uid), h('td', null, words(c.offence)),
        h('td', null, `${count(c.guilty)} / ${c.threshold}`),
        h('td', null, `${count(field(c, 'notGuilty', 'not_guilty'))} / ${field(c, 'refuteAt', 'refute_at')}`),
        h('td', null, field(c, 'expiresAt', 'expires_at')), h('td', null, statusText(c.status)))),
      'No open case.'),
    h('h4', null, 'open audits'), table('audits',
      ['case', 'subnet', 'uid', 'offence', 'reason', 'uphold', 'overturn', 'expires at (block)', 'status'],
      audits.map((a) => h('tr', { 'data-audit': a.case, 'data-uid': a.uid },
        h('td', null, a.case), h('td', null, a.netuid), h('td', null, a.uid), h('td', null, words(a.offence)),
        h('td', null, words(a.reason)),
        h('td', null, `${count(a.uphold)} / ${field(a, 'upholdAt', 'uphold_at')}`),
        h('td', null, `${count(a.overturn)} / ${field(a, 'overturnAt', 'overturn_at')}`),
        h('td', null, field(a, 'expiresAt', 'expires_at')), h('td', null, statusText(a.status)))),
      'No open audit.'));
    const quarantines = Array.isArray(o.quarantines) ? o.quarantines : [];
    replace('quarantines', h('h4', null, 'quarantines'), table('quarantines',
      ['subnet', 'uid', 'hotkey', 'offence', 'since epoch', 'until epoch', 'offences', 'releasable'],
      quarantines.map((q) => h('tr', { 'data-netuid': q.netuid, 'data-uid': q.uid ?? null, 'data-hotkey': q.hotkey },
        h('td', null, q.netuid), h('td', null, q.uid ?? 'left'),
        h('td', { class: 'mono', title: q.hotkey }, short(q.hotkey)), h('td', null, words(q.offence)),
        h('td', null, field(q, 'sinceEpoch', 'since_epoch')), h('td', null, field(q, 'untilEpoch', 'until_epoch')),
        h('td', null, q.offences), h('td', null, yes(q.releasable)))),
      'Nobody is quarantined.'));
  }

  rpc.connect();
})();
