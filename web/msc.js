// The message-sequence chart of a simulated run (a synod-sim trace, format
// synod-sim-trace/1): time runs down, nodes across, each message copy is an arrow from its
// send to its delivery. Drops end in a cross, partitions are shaded bands, crashes cut a
// node's lane, Byzantine senders' messages are red, view changes and commits are labelled.
// Proof-of-work runs label the blocks mined (by whom; struck through when orphaned), the
// tips each node adopts, forks (a second block at one height) and reorgs (who, how deep).
// A cursor steps through the events one at a time; what comes after it is faded.
//
// Plain JS and SVG, no dependencies: the same file is inlined into `synod-sim --html`
// pages and served by `synod-testnet web`.
(function () {
  'use strict';
  const SVG = 'http://www.w3.org/2000/svg';
  const LANE_WIDTH = 170;
  const MARGIN_LEFT = 70;
  const MARGIN_TOP = 40;
  const CHART_HEIGHT = 620;

  function el(name, attrs, text) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function html(name, attrs, text) {
    const node = document.createElement(name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Sends become messages with their deliveries and drops; the rest are marks.
  function buildModel(trace) {
    const messages = new Map();
    const marks = [];
    const steps = [];
    for (const event of trace.events || []) {
      if (event.kind === 'send') {
        const message = { id: event.id, t: event.t, from: event.from, to: event.to,
          type: event.type, detail: event.detail, byzantine: !!event.byzantine,
          deliveries: [], drop: null };
        messages.set(event.id, message);
        steps.push({ t: event.t, message });
      } else if (event.kind === 'deliver') {
        const message = messages.get(event.id);
        if (message) message.deliveries.push(event.t);
      } else if (event.kind === 'drop') {
        const message = messages.get(event.id);
        if (message) message.drop = { t: event.t, reason: event.reason };
      } else {
        marks.push(event);
        steps.push({ t: event.t, mark: event });
      }
    }
    const partitions = [];
    let open = null;
    for (const mark of marks) {
      if (mark.kind === 'partition') {
        if (open) open.end = mark.t;
        open = { start: mark.t, end: null, groups: mark.groups };
        partitions.push(open);
      } else if (mark.kind === 'heal' && open) {
        open.end = mark.t;
        open = null;
      }
    }
    const types = [...new Set([...messages.values()].map((m) => m.type))].sort();
    const end = steps.length ? steps[steps.length - 1].t : 0;
    return { messages: [...messages.values()], marks, steps, partitions, types, end };
  }

  function describeStep(step, nodes) {
    const name = (slot) => {
      const node = nodes[slot];
      return node ? `n${slot}` + (node.role !== 'honest' ? ` (${node.role})` : '') : `n${slot}`;
    };
    if (step.message) {
      const m = step.message;
      let fate = m.deliveries.length ? `delivered at t=${m.deliveries.join(', ')} ms` : 'in flight';
      if (m.drop) fate = `dropped at t=${m.drop.t} ms (${m.drop.reason})`;
      return `t=${m.t} ms  ${name(m.from)} → ${name(m.to)}  ${m.detail}  — ${fate}` +
        (m.byzantine ? '  [sent by a Byzantine node]' : '');
    }
    const mark = step.mark;
    switch (mark.kind) {
      case 'commit': return `t=${mark.t} ms  ${name(mark.node)} commits block ${mark.height} (${mark.hash}, ${mark.txs} txs)`;
      case 'view': return `t=${mark.t} ms  ${name(mark.node)} ` + (mark.in_view_change
        ? `starts a view change to view ${mark.view}` : `enters view ${mark.view} (primary v${mark.primary})`);
      case 'crash': return `t=${mark.t} ms  ${name(mark.node)} crashes at height ${mark.height}`;
      case 'start': return `t=${mark.t} ms  ${name(mark.node)} starts at height ${mark.height}`;
      case 'partition': return `t=${mark.t} ms  partition: ` + mark.groups.map((g) => '{' + g.map((s) => 'n' + s).join(' ') + '}').join(' | ');
      case 'heal': return `t=${mark.t} ms  the partition heals`;
      case 'mined': return `t=${mark.t} ms  ${name(mark.node)} ${this.made === 'signed' ? 'signs' : 'mines'} block ${mark.height} (${mark.hash} on ${mark.prev}, ${mark.txs} txs)` +
        (mark.orphaned ? ' — orphaned: it is not on the final best chain' : '');
      case 'tip': return `t=${mark.t} ms  ${name(mark.node)} extends its best chain to block ${mark.height} (${mark.hash}` +
        (mark.miner !== undefined ? `, ${this.made} by n${mark.miner})` : ')');
      case 'fork': return `t=${mark.t} ms  fork at height ${mark.height}: ` +
        mark.hashes.map((h, i) => `${h} by n${mark.miners[i]}`).join(' vs ');
      case 'reorg': return `t=${mark.t} ms  ${name(mark.node)} reorganises: ${mark.depth} block(s) above ${mark.fork_height} ` +
        `abandoned (${mark.abandoned.join(', ')}), new head ${mark.hash} at ${mark.height}`;
      default: return `t=${mark.t} ms  ${mark.kind}`;
    }
  }

  class Chart {
    constructor(root, trace) {
      this.root = root;
      this.trace = trace;
      this.nodes = trace.nodes || [];
      this.model = buildModel(trace);
      this.cursor = 0;
      // Pixels per virtual millisecond: PBFT rounds take milliseconds, PoW blocks seconds.
      const longest_chain = ['pow', 'pos'].includes((trace.run || {}).consensus);
      this.scale = longest_chain ? 0.08 : 3;
      // A PoS block is signed by a lottery winner where a PoW block is mined.
      this.made = (trace.run || {}).consensus === 'pos' ? 'signed' : 'mined';
      this.hidden = new Set();
      this.selected = null;
      this.timer = null;
      this.layout();
      this.render();
    }

    count(kind) { return this.model.marks.filter((m) => m.kind === kind).length; }

    layout() {
      const run = this.trace.run || {};
      const pow = ['pow', 'pos'].includes(run.consensus);
      const who = run.consensus === 'pow' ? 'miners' : run.consensus === 'pos' ? 'validators' : 'nodes';
      const title = html('div', { class: 'msc-title' },
        `synod-sim ${pow ? run.consensus + ' ' : ''}seed ${run.seed ?? '?'} — ${this.nodes.length} ${who}, ` +
        `${this.model.messages.length} messages, ${this.model.marks.length} events, ` +
        (pow ? `${this.count('mined')} blocks ${this.made}, ${this.trace.orphans ?? 0} orphaned, ` +
          `${this.count('fork')} forks, ${this.count('reorg')} reorgs, ` : '') +
        `${this.model.end} ms`);
      const scenario = html('div', { class: 'msc-scenario' }, run.scenario || '');
      const controls = html('div', { class: 'msc-controls' });
      const button = (label, title_, action, id) => {
        const b = html('button', { title: title_, 'data-action': id }, label);
        b.addEventListener('click', action);
        controls.appendChild(b);
        return b;
      };
      button('|◀', 'first event', () => this.go(0), 'first');
      button('◀', 'step back (←)', () => this.go(this.cursor - 1), 'back');
      this.playButton = button('▶ play', 'play / pause (space)', () => this.togglePlay(), 'play');
      button('▶|', 'step forward (→)', () => this.go(this.cursor + 1), 'forward');
      // A "next" button for each kind of labelled event the run has.
      const jumps = [['view', 'next view change'], ['commit', 'next commit'], ['mined', 'next block mined'],
        ['fork', 'next fork'], ['reorg', 'next reorg']];
      for (const [kind, label] of jumps) {
        if (this.count(kind)) button(label, `jump to the next ${kind} event`, () => this.nextMark(kind), 'next-' + kind);
      }
      button('−', 'zoom out', () => { this.scale = Math.max(0.01, this.scale / 1.5); this.render(); }, 'zoom-out');
      button('+', 'zoom in', () => { this.scale = Math.min(40, this.scale * 1.5); this.render(); }, 'zoom-in');
      this.slider = html('input', { type: 'range', min: 0, max: Math.max(0, this.model.steps.length - 1), value: 0, class: 'msc-slider' });
      this.slider.addEventListener('input', () => this.go(Number(this.slider.value)));
      controls.appendChild(this.slider);
      const filters = html('div', { class: 'msc-filters' });
      for (const type of this.model.types) {
        const label = html('label');
        const box = html('input', { type: 'checkbox' });
        box.checked = true;
        box.addEventListener('change', () => {
          if (box.checked) this.hidden.delete(type); else this.hidden.add(type);
          this.render();
        });
        label.appendChild(box);
        label.appendChild(document.createTextNode(' ' + type));
        filters.appendChild(label);
      }
      this.status = html('div', { class: 'msc-status', id: 'msc-status' });
      this.details = html('div', { class: 'msc-details' });
      const width = MARGIN_LEFT + LANE_WIDTH * Math.max(1, this.nodes.length) + 40;
      this.svg = el('svg', { width, height: CHART_HEIGHT + MARGIN_TOP, class: 'msc-svg' });
      this.root.replaceChildren(title, scenario);
      if (this.trace.truncated) {
        this.root.appendChild(html('div', { class: 'msc-note' }, this.trace.note || 'the trace was truncated'));
      }
      this.root.append(controls, filters, this.status, this.svg, this.details, this.legend());
      this.root.tabIndex = 0;
      this.root.addEventListener('keydown', (e) => {
        if (e.key === 'ArrowRight') { this.go(this.cursor + 1); e.preventDefault(); }
        if (e.key === 'ArrowLeft') { this.go(this.cursor - 1); e.preventDefault(); }
        if (e.key === ' ') { this.togglePlay(); e.preventDefault(); }
      });
    }

    legend() {
      return html('div', { class: 'msc-legend' },
        'Arrows: messages (red: from a Byzantine node; dashed: dropped, ending in ×). ' +
        'Grey band: a partition. Dark lane segment: node crashed. Green tag: commit. ' +
        'Orange tag: view change. Proof of work: blue tag, a block mined (struck through: orphaned); ' +
        'grey tag, a tip adopted; purple, a fork; red, a reorg. ' +
        'Steps with ◀ ▶ or the arrow keys; later events are faded.');
    }

    go(index) {
      const last = this.model.steps.length - 1;
      this.cursor = Math.max(0, Math.min(last, index));
      this.slider.value = this.cursor;
      this.selected = this.model.steps[this.cursor] || null;
      this.render();
    }

    goTime(t) {
      const index = this.model.steps.findIndex((step) => step.t >= t);
      this.go(index >= 0 ? index : this.model.steps.length - 1);
    }

    nextMark(kind) {
      for (let i = this.cursor + 1; i < this.model.steps.length; i++) {
        const mark = this.model.steps[i].mark;
        if (mark && mark.kind === kind) return this.go(i);
      }
    }

    togglePlay() {
      if (this.timer) {
        clearInterval(this.timer);
        this.timer = null;
        this.playButton.textContent = '▶ play';
        return;
      }
      this.playButton.textContent = '❚❚ pause';
      this.timer = setInterval(() => {
        if (this.cursor >= this.model.steps.length - 1) return this.togglePlay();
        this.go(this.cursor + 1);
      }, 120);
    }

    x(slot) { return MARGIN_LEFT + LANE_WIDTH * slot + LANE_WIDTH / 2; }

    render() {
      const step = this.model.steps[this.cursor];
      const now = step ? step.t : 0;
      const span = CHART_HEIGHT / this.scale;
      const t0 = Math.max(0, now - span * 0.45);
      const t1 = t0 + span;
      const y = (t) => MARGIN_TOP + (t - t0) * this.scale;
      const svg = this.svg;
      svg.replaceChildren();
      this.drawPartitions(svg, t0, t1, y, now);
      this.drawLanes(svg, t0, t1, y, now);
      this.drawTimeAxis(svg, t0, t1, y);
      svg.appendChild(el('line', { x1: MARGIN_LEFT - 50, x2: this.x(this.nodes.length - 1) + LANE_WIDTH / 2,
        y1: y(now), y2: y(now), class: 'msc-cursor' }));
      let shown = 0;
      for (const message of this.model.messages) {
        if (this.hidden.has(message.type)) continue;
        const end = message.drop ? message.drop.t
          : (message.deliveries.length ? Math.max(...message.deliveries) : message.t);
        if (end < t0 || message.t > t1) continue;
        shown += this.drawMessage(svg, message, y, now);
      }
      for (const mark of this.model.marks) {
        if (mark.t >= t0 && mark.t <= t1) this.drawMark(svg, mark, y, now);
      }
      this.status.textContent = `step ${this.cursor + 1} / ${this.model.steps.length}  ·  t = ${now} ms  ·  ` +
        `${shown} messages in view`;
      this.status.dataset.shown = String(shown);
      this.status.dataset.step = String(this.cursor + 1);
      this.details.textContent = this.selected ? describeStep(this.selected, this.nodes) : '';
    }

    drawPartitions(svg, t0, t1, y, now) {
      for (const p of this.model.partitions) {
        const end = p.end ?? this.model.end;
        if (end < t0 || p.start > t1) continue;
        const top = y(Math.max(t0, p.start));
        const bottom = y(Math.min(t1, end));
        svg.appendChild(el('rect', { x: MARGIN_LEFT - 60, y: top, width: LANE_WIDTH * this.nodes.length + 70,
          height: Math.max(1, bottom - top), class: 'msc-partition' + (p.start > now ? ' later' : '') }));
        svg.appendChild(el('text', { x: MARGIN_LEFT - 58, y: top + 12, class: 'msc-partition-label' },
          'partition ' + p.groups.map((g) => '{' + g.map((s) => 'n' + s).join(' ') + '}').join(' | ')));
      }
    }

    drawLanes(svg, t0, t1, y, now) {
      this.nodes.forEach((node, slot) => {
        const x = this.x(slot);
        const label = `n${node.slot} v${node.validator}` + (node.role !== 'honest' ? ` ${node.role}` : '');
        svg.appendChild(el('text', { x, y: 18, class: 'msc-node' + (node.role !== 'honest' ? ' byzantine' : ''),
          'text-anchor': 'middle' }, label));
        svg.appendChild(el('line', { x1: x, x2: x, y1: MARGIN_TOP, y2: MARGIN_TOP + CHART_HEIGHT, class: 'msc-lane' }));
        // Crashed stretches: from a crash to the next start of the same node.
        let down = null;
        for (const mark of this.model.marks) {
          if (mark.node !== slot) continue;
          if (mark.kind === 'crash') down = mark.t;
          if (mark.kind === 'start' && down !== null) {
            this.drawDown(svg, x, down, mark.t, t0, t1, y);
            down = null;
          }
        }
        if (down !== null) this.drawDown(svg, x, down, this.model.end, t0, t1, y);
      });
    }

    drawDown(svg, x, from, to, t0, t1, y) {
      if (to < t0 || from > t1) return;
      svg.appendChild(el('line', { x1: x, x2: x, y1: y(Math.max(from, t0)), y2: y(Math.min(to, t1)), class: 'msc-down' }));
    }

    drawTimeAxis(svg, t0, t1, y) {
      const stepMs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].find((s) => s * this.scale >= 40) || 10000;
      for (let t = Math.ceil(t0 / stepMs) * stepMs; t <= t1; t += stepMs) {
        svg.appendChild(el('text', { x: 4, y: y(t) + 4, class: 'msc-time' }, `${t} ms`));
        svg.appendChild(el('line', { x1: MARGIN_LEFT - 50, x2: MARGIN_LEFT - 44, y1: y(t), y2: y(t), class: 'msc-tick' }));
      }
    }

    drawMessage(svg, message, y, now) {
      const later = message.t > now ? ' later' : '';
      const kind = message.byzantine ? ' byzantine' : '';
      const type = ' type-' + message.type.toLowerCase().replace(/[^a-z0-9]+/g, '-');
      const selected = this.selected && this.selected.message === message ? ' selected' : '';
      const x1 = this.x(message.from);
      const x2 = this.x(message.to);
      const group = el('g', { class: 'msc-msg' + kind + later + type + selected, 'data-id': message.id });
      group.appendChild(el('title', {}, message.detail));
      const targets = message.deliveries.length ? message.deliveries : [];
      for (const t of targets) {
        group.appendChild(el('line', { x1, y1: y(message.t), x2, y2: y(t), class: 'msc-arrow', 'marker-end': 'url(#msc-head)' }));
      }
      if (message.drop) {
        const fraction = 0.6;
        const xd = x1 + (x2 - x1) * fraction;
        const yd = y(message.t) + (y(message.drop.t) - y(message.t)) * fraction + 2;
        group.classList.add('dropped');
        group.appendChild(el('line', { x1, y1: y(message.t), x2: xd, y2: yd, class: 'msc-arrow dropped' }));
        group.appendChild(el('text', { x: xd, y: yd + 4, class: 'msc-drop', 'text-anchor': 'middle' }, '×'));
      }
      if (!targets.length && !message.drop) {
        group.appendChild(el('line', { x1, y1: y(message.t), x2: x1 + (x2 - x1) * 0.3, y2: y(message.t) + 6, class: 'msc-arrow inflight' }));
      }
      if (this.scale >= 2) {
        const labelX = x1 + (x2 - x1) * 0.18;
        group.appendChild(el('text', { x: labelX, y: y(message.t) - 2, class: 'msc-label' }, message.type));
      }
      group.addEventListener('click', () => {
        const index = this.model.steps.findIndex((s) => s.message === message);
        if (index >= 0) this.go(index);
      });
      svg.appendChild(group);
      return 1;
    }

    drawMark(svg, mark, y, now) {
      const later = mark.t > now ? ' later' : '';
      if (mark.node === undefined) return;
      const x = this.x(mark.node) + 6;
      // A fork is found when its second block is mined: below that block's own tag.
      const yy = y(mark.t) + (mark.kind === 'fork' ? 14 : 0);
      let text = null;
      let cls = '';
      if (mark.kind === 'commit') { text = `commit #${mark.height}`; cls = 'commit'; }
      if (mark.kind === 'view') { text = mark.in_view_change ? `view change → ${mark.view}` : `view ${mark.view}`; cls = 'view'; }
      if (mark.kind === 'crash') { text = 'CRASH'; cls = 'crash'; }
      if (mark.kind === 'start') { text = 'start'; cls = 'start'; }
      if (mark.kind === 'mined') { text = `${this.made} #${mark.height}` + (mark.orphaned ? ' (orphan)' : ''); cls = 'mined' + (mark.orphaned ? ' orphan' : ''); }
      if (mark.kind === 'tip') { text = `tip #${mark.height}`; cls = 'tip'; }
      if (mark.kind === 'fork') { text = `FORK at #${mark.height}: ` + mark.miners.map((m) => 'n' + m).join(' vs '); cls = 'fork'; }
      if (mark.kind === 'reorg') { text = `REORG −${mark.depth} → #${mark.height}`; cls = 'reorg'; }
      if (!text) return;
      const selected = this.selected && this.selected.mark === mark ? ' selected' : '';
      const group = el('g', { class: `msc-mark ${cls}${later}${selected}`, 'data-kind': mark.kind });
      group.appendChild(el('rect', { x, y: yy - 9, width: text.length * 6.4 + 8, height: 12, rx: 3 }));
      group.appendChild(el('text', { x: x + 4, y: yy }, text));
      svg.appendChild(group);
    }
  }

  function defs() {
    // The arrowhead marker is shared by every chart on the page.
    if (document.getElementById('msc-defs')) return;
    const holder = el('svg', { id: 'msc-defs', width: 0, height: 0, style: 'position:absolute' });
    const d = el('defs');
    const marker = el('marker', { id: 'msc-head', viewBox: '0 0 10 10', refX: 9, refY: 5,
      markerUnits: 'userSpaceOnUse', markerWidth: 9, markerHeight: 9, orient: 'auto-start-reverse' });
    marker.appendChild(el('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: 'context-stroke' }));
    d.appendChild(marker);
    holder.appendChild(d);
    document.body.appendChild(holder);
  }

  function mount(root, trace) {
    if (!trace || trace.format !== 'synod-sim-trace/1') {
      root.textContent = 'not a synod-sim trace (format synod-sim-trace/1)';
      return null;
    }
    defs();
    const chart = new Chart(root, trace);
    // "#t=1200" in the address opens the chart at that virtual time.
    const at = /#t=(\d+)/.exec(window.location.hash || '');
    if (at) chart.goTime(Number(at[1]));
    return chart;
  }

  window.SynodMsc = { mount, buildModel };
})();
