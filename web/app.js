// The live testnet page. Everything it shows comes from one server-sent event stream
// (/events), which `synod-testnet web` fills from the nodes' own push streams; the buttons
// POST to /api/*. Plain JS, no dependencies. Proof of stake: the slashes come in the
// nodes' own states ("slashes", node/slash_log.h) and the blocks' evidence counts.
(function () {
  'use strict';
  const SVG = 'http://www.w3.org/2000/svg';
  const HEIGHTS_SHOWN = 80;  // the hub keeps 160 blocks; the chart scrolls sideways
  const BLOCK_W = 62;
  const BLOCK_H = 30;
  const ROW_H = 46;

  let latest = null;
  let previous = new Map();  // node name -> last state seen, for the "what happened" log
  let selectedHash = null;
  const laneElements = new Map();  // node index -> its lane, kept across renders
  let chainKey = '';  // what the block tree was drawn from: redrawn only when it changes
  const slashesSeen = new Set();  // offender@height, for the "what happened" log

  const $ = (id) => document.getElementById(id);

  function html(name, attrs, text) {
    const node = document.createElement(name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(name, attrs, text) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function short(hash) { return hash ? hash.slice(0, 8) : ''; }

  function happened(text) {
    const list = $('happenings');
    const item = html('li', {}, new Date().toLocaleTimeString() + '  ' + text);
    list.prepend(item);
    while (list.children.length > 60) list.lastChild.remove();
  }

  async function post(path) {
    try {
      const response = await fetch(path, { method: 'POST' });
      const body = await response.json();
      if (!response.ok) happened('refused: ' + (body.error || response.status));
      return body;
    } catch (error) {
      happened('request failed: ' + error);
      return null;
    }
  }

  // ---- node lanes ------------------------------------------------------------------------

  function nodeStatus(node) {
    if (node.process === 'down') return 'down';
    if (node.process === 'paused') return 'paused';
    return node.reachable ? 'up' : 'unreachable';
  }

  function voteBar(kind, count, quorum) {
    const bar = html('span', { class: 'votes ' + kind });
    const fill = html('span');
    fill.style.width = Math.min(100, (100 * count) / Math.max(1, quorum)) + '%';
    bar.appendChild(fill);
    return bar;
  }

  function laneRows(node, testnet) {
    const s = node.state || {};
    const rows = [];
    const q = s.quorum || testnet.quorum;
    if (testnet.mode === 'pow') {
      rows.push(['height', s.height], ['head', short(s.head_hash)], ['tip work', s.tip_work],
        ['tips', s.tips], ['reorgs', s.reorgs], ['mining', s.mining ? 'yes' : 'no']);
    } else if (testnet.mode === 'pos') {
      rows.push(['height', s.height], ['head', short(s.head_hash)], ['stake', s.stake],
        ['slashed', s.slashed ? 'yes' : 'no'], ['tips', s.tips], ['reorgs', s.reorgs],
        ['double signs seen', s.double_signs_seen], ['evidence sent', s.evidence_submitted]);
    } else {
      rows.push(['view', s.view], ['primary', s.primary_name ?? s.primary], ['height', s.height],
        ['head', short(s.head_hash)]);
      const instance = s.instance;
      if (instance) {
        rows.push(['instance', `#${instance.sequence} (${instance.phase})`]);
        rows.push(['pre-prepare', instance.pre_prepared ? `received, ${instance.transactions} tx` : 'not yet']);
        rows.push(['prepares', [`${instance.prepares}/${q} `, voteBar('prepare', instance.prepares, q)]]);
        rows.push(['commits', [`${instance.commits}/${q} `, voteBar('commit', instance.commits, q)]]);
      } else {
        rows.push(['instance', 'idle']);
      }
      rows.push(['checkpoint', s.stable_checkpoint]);
      for (const vote of s.view_change_votes || [])
        rows.push([`view change to ${vote.view}`, `${vote.replicas} of ${testnet.validators} asking`]);
    }
    rows.push(['peers', s.peers], ['mempool', s.mempool]);
    return rows;
  }

  // PoS: every slash some node reports, by offender (one with its amount preferred: a node
  // that started after the slash knows it only from the ledger).
  function slashesOf(state) {
    const byOffender = new Map();
    for (const node of state.nodes) {
      for (const slash of (node.state && node.state.slashes) || []) {
        const known = byOffender.get(slash.offender);
        if (!known || (known.amount === null && slash.amount !== null)) byOffender.set(slash.offender, slash);
      }
    }
    return byOffender;
  }

  function describeSlash(slash) {
    return `${slash.offender} slashed for ${slash.reason}: signed two blocks at height ${slash.offence_height}; ` +
      `evidence in block #${slash.slashed_at_height}` + (slash.reporter ? ` reported by ${slash.reporter}` : '') +
      (slash.amount !== null ? `; ${slash.amount} taken, stake now ${slash.stake_after}` : `; stake now ${slash.stake_after}`);
  }

  function renderLane(node, testnet, slash) {
    const s = node.state || {};
    const status = nodeStatus(node);
    const isPrimary = testnet.mode === 'pbft' && node.role === 'validator' && status === 'up' &&
      s.primary_name === node.name;
    // A lane and its buttons are made once and updated in place: a button replaced between
    // mouse down and mouse up would lose the click.
    let lane = laneElements.get(node.index);
    if (!lane) {
      lane = html('div', { 'data-node': node.index });
      lane.appendChild(html('div', { class: 'body' }));
      lane.appendChild(laneButtons(node));
      laneElements.set(node.index, lane);
    }
    lane.className = 'lane';
    Object.assign(lane.dataset, { status, view: s.view ?? '', height: s.height ?? '' });
    if (status === 'down' || status === 'unreachable') lane.classList.add('down');
    if (status === 'paused') lane.classList.add('paused');
    if (isPrimary) lane.classList.add('primary');
    if (s.in_view_change && status === 'up') lane.classList.add('view-changing');
    if (slash) lane.classList.add('slashed');
    const title = html('div', { class: 'title' });
    title.appendChild(html('span', {}, node.name));
    const badges = html('span');
    if (isPrimary) badges.appendChild(html('span', { class: 'badge primary' }, 'PRIMARY'));
    if (slash) badges.appendChild(html('span', { class: 'badge slashed' }, 'SLASHED'));
    for (const kind of s.byzantine || []) badges.appendChild(html('span', { class: 'badge byzantine' }, kind));
    badges.appendChild(html('span', { class: 'badge state-' + (status === 'unreachable' ? 'down' : status) }, status));
    title.appendChild(badges);
    const table = html('table');
    if (node.state && status !== 'down') {
      for (const [label, value] of laneRows(node, testnet)) {
        const row = html('tr');
        row.appendChild(html('td', {}, label));
        const cell = html('td');
        for (const part of [].concat(value ?? '')) {
          cell.append(part instanceof Node ? part : document.createTextNode(String(part ?? '')));
        }
        row.appendChild(cell);
        table.appendChild(row);
      }
    }
    lane.querySelector('.body').replaceChildren(title,
      html('div', { class: 'role' }, (s.role || node.role) + ' · ' + node.rpc),
      html('div', { class: 'banner' }, s.in_view_change && status === 'up' ? 'view change in progress' : ''),
      table);
    if (slash) {
      lane.querySelector('.body').appendChild(html('div', { class: 'lane-event slash', 'data-height': slash.slashed_at_height },
        `slashed at block #${slash.slashed_at_height} (${slash.reason} at #${slash.offence_height})` +
        (slash.amount !== null ? `, −${slash.amount}` : '')));
    }
    return lane;
  }

  function laneButtons(node) {
    const buttons = html('div', { class: 'buttons' });
    for (const action of ['kill', 'pause', 'resume', 'restart']) {
      const button = html('button', { 'data-action': action, 'data-node': node.index }, action);
      button.addEventListener('click', () => {
        happened(`${action} ${node.name} (button)`);
        post(`/api/node?action=${action}&node=${node.index}`);
      });
      buttons.appendChild(button);
    }
    return buttons;
  }

  function noteChanges(state) {
    for (const node of state.nodes) {
      const before = previous.get(node.name);
      const now = { status: nodeStatus(node), view: node.state?.view, height: node.state?.height,
        changing: node.state?.in_view_change, reorgs: node.state?.reorgs };
      if (before) {
        if (before.status !== now.status) happened(`${node.name} is ${now.status}`);
        if (now.status === 'up' && before.view !== undefined && now.view !== undefined && now.view !== before.view) {
          happened(`${node.name} entered view ${now.view} (primary ${node.state.primary_name ?? node.state.primary})`);
        }
        if (now.changing && !before.changing && now.status === 'up') happened(`${node.name} started a view change`);
        if (now.reorgs !== undefined && before.reorgs !== undefined && now.reorgs > before.reorgs) {
          happened(`${node.name} reorganised its chain (${now.reorgs} reorgs)`);
        }
      }
      previous.set(node.name, now);
    }
    for (const slash of slashesOf(state).values()) {
      const key = `${slash.offender}@${slash.slashed_at_height}`;
      if (!slashesSeen.has(key)) happened(describeSlash(slash));
      slashesSeen.add(key);
    }
  }

  // ---- the block tree ----------------------------------------------------------------------

  // Rows: the best chain (the highest block, back to the oldest kept) is row 0; each other
  // branch gets the next row from its tip back to where it meets a placed block.
  function layoutBlocks(blocks) {
    const byHash = new Map(blocks.map((b) => [b.hash, b]));
    const children = new Set(blocks.map((b) => b.prev));
    const tips = blocks.filter((b) => !children.has(b.hash)).sort((a, b) => b.height - a.height);
    const row = new Map();
    let next = 0;
    for (const tip of tips) {
      let block = tip;
      const r = next++;
      while (block && !row.has(block.hash)) {
        row.set(block.hash, r);
        block = byHash.get(block.prev);
      }
    }
    return { byHash, row, best: tips.length ? tips[0].hash : null };
  }

  function renderChain(state) {
    const holder = $('chain');
    const blocks = state.blocks || [];
    if (!blocks.length) { holder.replaceChildren(html('div', { class: 'hint' }, 'waiting for blocks…')); return; }
    const { byHash, row } = layoutBlocks(blocks);
    const top = Math.max(...blocks.map((b) => b.height));
    const low = Math.max(0, top - HEIGHTS_SHOWN + 1);
    const shown = blocks.filter((b) => b.height >= low);
    const rows = Math.max(1, ...shown.map((b) => row.get(b.hash) + 1));
    const heads = new Map();
    for (const node of state.nodes) {
      if (node.state && nodeStatus(node) !== 'down') {
        const list = heads.get(node.state.head_hash) || [];
        list.push(node.name.replace('node-', 'n'));
        heads.set(node.state.head_hash, list);
      }
    }
    const key = JSON.stringify([shown.map((b) => b.hash), [...heads], selectedHash]);
    if (key === chainKey) return;
    chainKey = key;
    const x = (h) => 10 + (h - low) * (BLOCK_W + 14);
    const y = (r) => 10 + r * ROW_H;
    const chart = svg('svg', { width: x(top) + BLOCK_W + 20, height: y(rows) + 18 });
    for (const block of shown) {
      const parent = byHash.get(block.prev);
      if (parent && parent.height >= low) {
        chart.appendChild(svg('path', { class: 'link', d: `M ${x(parent.height) + BLOCK_W} ${y(row.get(parent.hash)) + BLOCK_H / 2} L ${x(block.height)} ${y(row.get(block.hash)) + BLOCK_H / 2}` }));
      }
    }
    for (const block of shown) {
      const r = row.get(block.hash);
      const group = svg('g', { class: 'block' + (r > 0 ? ' side' : '') + (block.hash === selectedHash ? ' selected' : '') +
        (block.evidence ? ' evidence' : ''),
        'data-hash': block.hash, 'data-height': block.height, 'data-txs': block.txs, 'data-evidence': block.evidence || 0 });
      group.appendChild(svg('rect', { x: x(block.height), y: y(r), width: BLOCK_W, height: BLOCK_H, rx: 4 }));
      if (block.evidence) {
        group.appendChild(svg('title', {}, `carries ${block.evidence} slashing evidence transaction(s)`));
        group.appendChild(svg('text', { x: x(block.height) + BLOCK_W - 13, y: y(r) + 12, class: 'evidence-mark' }, '⚖'));
      }
      group.appendChild(svg('text', { x: x(block.height) + 4, y: y(r) + 12 }, `#${block.height}` + (block.txs ? ` ${block.txs}tx` : '')));
      group.appendChild(svg('text', { x: x(block.height) + 4, y: y(r) + 25 }, short(block.hash)));
      const here = heads.get(block.hash);
      if (here) group.appendChild(svg('text', { x: x(block.height), y: y(r) + BLOCK_H + 11, class: 'head-label' }, '▲' + here.join(' ')));
      group.addEventListener('click', () => showBlock(block.hash));
      chart.appendChild(group);
    }
    // Follow the newest block unless the reader scrolled back to look at something.
    const following = holder.scrollLeft + holder.clientWidth >= holder.scrollWidth - 8;
    const kept = holder.scrollLeft;
    holder.replaceChildren(chart);
    holder.scrollLeft = following ? holder.scrollWidth : kept;
    const sides = blocks.filter((b) => row.get(b.hash) > 0).length;
    const evidence = blocks.filter((b) => b.evidence).length;
    $('chain-note').textContent = state.testnet.mode === 'pbft'
      ? 'each block is final: click one for its commit certificate'
      : `best chain in green; ${sides} block(s) on side branches (forks, orphaned by reorgs)` +
        (state.testnet.mode === 'pos' ? `; ${evidence} block(s) with slashing evidence (⚖, red border)` : '');
  }

  async function showBlock(hash) {
    selectedHash = hash;
    const box = $('block-details');
    box.hidden = false;
    box.textContent = 'loading block ' + hash + '…';
    try {
      const response = await fetch('/api/block?hash=' + hash);
      const block = await response.json();
      if (!response.ok) { box.textContent = block.error; return; }
      const lines = [`block #${block.header.height}  ${block.hash}`,
        `prev ${block.header.prev_hash}`, `state root ${block.header.state_root}`,
        `timestamp ${new Date(block.header.timestamp_ms).toISOString()}`,
        `seal ${JSON.stringify(block.header.seal)}`,
        `finality ${block.finality}, confirmations ${block.confirmations}, in best chain ${block.in_best_chain}`];
      if (block.certificate && block.certificate.signatures) {
        const c = block.certificate;
        lines.push(`commit certificate: view ${c.view}, sequence ${c.sequence}, ${c.signatures.length} signatures`);
        for (const s of c.signatures) lines.push(`  validator ${s.validator_index}: ${s.signature.slice(0, 32)}…`);
      }
      lines.push(`${block.transactions.length} transaction(s)`);
      for (const tx of block.transactions.slice(0, 20)) {
        lines.push(`  ${tx.hash ? short(tx.hash) + ' ' : ''}${tx.from ? short(tx.from) : ''} → ${tx.to} amount ${tx.amount} fee ${tx.fee} nonce ${tx.nonce}`);
      }
      box.textContent = lines.join('\n');
    } catch (error) {
      box.textContent = 'could not load the block: ' + error;
    }
    if (latest) renderChain(latest);
  }

  // ---- logs and controls -----------------------------------------------------------------

  function renderSlashes(state) {
    const panel = $('slashes-panel');
    panel.hidden = state.testnet.mode !== 'pos';
    if (panel.hidden) return;
    const slashes = [...slashesOf(state).values()].sort((a, b) => b.slashed_at_height - a.slashed_at_height);
    $('slashes').replaceChildren(...(slashes.length ? slashes.map((slash) => html('li', {
      class: 'slash', 'data-offender': slash.offender, 'data-height': slash.slashed_at_height,
      'data-amount': slash.amount ?? '' }, describeSlash(slash))) : [html('li', { class: 'hint' }, 'no slash yet')]));
  }

  function renderLogs(state) {
    const transfers = $('transfers');
    transfers.replaceChildren(...[...state.transfers].reverse().map((t) => html('li', {
      class: t.status, 'data-hash': t.hash, 'data-status': t.status, 'data-height': t.height ?? '' },
    `${short(t.hash)} via ${t.via}: ${t.status}` + (t.status === 'committed' ? ` in block #${t.height}` : ''))));
    const actions = $('actions');
    actions.replaceChildren(...[...state.actions].reverse().map((a) => html('li', {
      class: a.state, 'data-state': a.state }, `${a.what}: ${a.state}` + (a.output ? '\n' + a.output.trim() : ''))));
  }

  function fillSelect(select, values, labels) {
    if (select.options.length === values.length) return;
    select.replaceChildren(...values.map((v, i) => html('option', { value: v }, labels ? labels[i] : v)));
  }

  function render(state) {
    latest = state;
    const t = state.testnet;
    $('summary').textContent = `${t.chain_id} · ${t.mode} · ${t.validators} ${t.mode === 'pow' ? 'miners' : 'validators'}` +
      (t.mode === 'pbft' ? ` · quorum ${t.quorum}` : '') + ` · ${t.dir}`;
    const slashes = slashesOf(state);
    const lanes = state.nodes.map((n) => renderLane(n, t, slashes.get(n.name)));
    if (lanes.some((lane, i) => $('lanes').children[i] !== lane)) $('lanes').replaceChildren(...lanes);
    noteChanges(state);
    renderChain(state);
    renderLogs(state);
    renderSlashes(state);
    fillSelect($('transfer-node'), state.nodes.map((n) => n.index), state.nodes.map((n) => n.name));
  }

  async function loadScenarios() {
    const response = await fetch('/api/state');
    const state = await response.json();
    fillSelect($('scenario-name'), state.scenarios || []);
    if (!latest) render(state);
  }

  function connect() {
    const source = new EventSource('/events');
    source.addEventListener('state', (event) => {
      $('conn').textContent = 'live';
      $('conn').className = 'conn on';
      render(JSON.parse(event.data));
    });
    source.onerror = () => {
      $('conn').textContent = 'reconnecting…';
      $('conn').className = 'conn off';
    };
  }

  $('send-transfer').addEventListener('click', async () => {
    const node = $('transfer-node').value;
    const answer = await post('/api/transfer?node=' + node);
    if (answer && answer.hash) happened(`sent transfer ${short(answer.hash)} through node ${node}`);
  });
  $('start-scenario').addEventListener('click', () => {
    const name = $('scenario-name').value;
    happened('scenario ' + name + ' started');
    post('/api/scenario?name=' + encodeURIComponent(name));
  });
  $('trace-file').addEventListener('change', async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    try {
      SynodMsc.mount($('msc-root'), JSON.parse(await file.text()));
    } catch (error) {
      $('msc-root').textContent = 'not a trace: ' + error;
    }
  });

  loadScenarios().catch(() => {});
  connect();
})();
