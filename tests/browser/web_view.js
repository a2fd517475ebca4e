// Browser tests of Synod's web views in Debian's headless Chromium, driven through the
// DevTools protocol with puppeteer-core (no browser download). run.sh starts what a case
// needs (a testnet and `synod-testnet web`, or a `synod-sim --html` page) and calls
//   node web_view.js CASE URL SCREENSHOT_DIR
// Each case exits 0 when it passed; on failure it prints why, saves a screenshot, exits 1.
'use strict';
const path = require('path');
const puppeteer = require('puppeteer-core');

const [, , testCase, url, screenshotDir] = process.argv;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function shot(page, name) {
  const file = path.join(screenshotDir, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log('screenshot: ' + file);
}

async function lanes(page) {
  return page.$$eval('.lane', (all) => all.map((lane) => ({
    node: Number(lane.dataset.node), status: lane.dataset.status, view: lane.dataset.view,
    height: lane.dataset.height, primary: lane.classList.contains('primary') })));
}

// The page loads and shows 4 validators, all up, committing blocks.
async function pageShowsNodes(page) {
  await page.goto(url);
  await page.waitForFunction(() => {
    const all = [...document.querySelectorAll('.lane')];
    return all.length === 4 && all.every((l) => l.dataset.status === 'up' && Number(l.dataset.height) >= 1);
  }, { timeout: 20000 });
  await page.waitForSelector('#chain .block', { timeout: 10000 });
  const shown = await lanes(page);
  check(shown.length === 4, 'expected 4 lanes, saw ' + shown.length);
  check(shown.filter((l) => l.primary).length === 1, 'expected exactly one primary lane');
  check(await page.$eval('#conn', (c) => c.textContent) === 'live', 'the event stream is not live');
  // Each lane shows its PBFT instance with its phase and whether the pre-prepare came (the
  // head's own instance between blocks), never a bare "idle".
  await page.waitForFunction(() => [...document.querySelectorAll('.lane')].every((lane) => {
    const rows = new Map([...lane.querySelectorAll('tr')].map((row) =>
      [row.cells[0]?.textContent, row.cells[1]?.textContent || '']));
    return /^#\d+ \((pre-prepare|prepare|commit|committed)\)$/.test(rows.get('instance') || '') &&
      /^(received, \d+ tx|not yet)$/.test(rows.get('pre-prepare') || '') &&
      /^\d+\/3/.test(rows.get('commits') || '');
  }), { timeout: 15000 });
}

// The lane buttons on a backup (no view change to wait for): pause shows the node paused,
// resume shows it up again, restart shows it down (process gone, or not answering yet) and
// then up again.
async function laneButtonsWork(page) {
  await pageShowsNodes(page);
  const backup = (await lanes(page)).find((l) => !l.primary);
  const lane = `.lane[data-node="${backup.node}"]`;
  const statusIs = (status, timeout) => page.waitForFunction((selector, s) =>
    document.querySelector(selector).dataset.status === s, { timeout }, lane, status);
  await page.click(`${lane} button[data-action="pause"]`);
  await statusIs('paused', 10000);
  check(await page.$(`${lane}.paused .badge.state-paused`), 'the paused lane has no paused badge');
  await page.click(`${lane} button[data-action="resume"]`);
  await statusIs('up', 20000);
  // A restart's down time can be short: record every status the lane shows from now on.
  await page.$eval(lane, (element) => {
    window.laneStatuses = [];
    new MutationObserver(() => {
      const status = element.dataset.status;
      if (window.laneStatuses[window.laneStatuses.length - 1] !== status) window.laneStatuses.push(status);
    }).observe(element, { attributes: true, attributeFilter: ['data-status'] });
  });
  const heightBefore = Number(await page.$eval(lane, (l) => l.dataset.height));
  await page.click(`${lane} button[data-action="restart"]`);
  await page.waitForFunction(() => window.laneStatuses.some((s) => s === 'down' || s === 'unreachable'),
    { timeout: 15000 });
  await statusIs('up', 30000);
  await page.waitForFunction((n) => [...document.querySelectorAll('#actions li[data-state="done"]')]
    .some((li) => li.textContent.startsWith(`restart node-${n}: done`)), { timeout: 30000 }, backup.node);
  const statuses = await page.evaluate(() => window.laneStatuses);
  console.log(`restart: the lane showed ${statuses.join(' → ')}`);
  check(Number(await page.$eval(lane, (l) => l.dataset.height)) >= heightBefore,
    'the restarted node came back below its height before');
  const log = await page.$eval('#happenings', (l) => l.textContent);
  check(log.includes(`node-${backup.node} is paused`) && log.includes(`node-${backup.node} is up`),
    'the log does not show the pause and the return');
}

// Killing the primary from its button: its lane shows it down, and the others change view.
async function killShowsViewChange(page) {
  await pageShowsNodes(page);
  const primary = (await lanes(page)).find((l) => l.primary);
  check(primary, 'no primary lane');
  const startView = Number(primary.view);
  const started = Date.now();
  await page.click(`.lane[data-node="${primary.node}"] button[data-action="kill"]`);
  await page.waitForFunction((n) => document.querySelector(`.lane[data-node="${n}"]`).dataset.status === 'down',
    { timeout: 10000 }, primary.node);
  await page.waitForFunction((n, v) => [...document.querySelectorAll('.lane')].some((l) =>
    Number(l.dataset.node) !== n && l.dataset.status === 'up' && Number(l.dataset.view) > v &&
    l.classList.contains('primary')), { timeout: 30000 }, primary.node, startView);
  const seconds = (Date.now() - started) / 1000;
  console.log(`the view changed ${seconds.toFixed(1)} s after the kill button`);
  const log = await page.$eval('#happenings', (l) => l.textContent);
  check(log.includes('entered view'), 'the log does not show the view change');
  // Let a block or two commit in the new view before the picture.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await shot(page, 'web-view-change.png');
}

// A transfer sent from the page is committed, and its block shows it with its certificate.
async function transferInBlock(page) {
  await pageShowsNodes(page);
  await page.select('#transfer-node', '1');
  await page.click('#send-transfer');
  await page.waitForSelector('#transfers li[data-status="committed"]', { timeout: 30000 });
  const height = await page.$eval('#transfers li[data-status="committed"]', (li) => li.dataset.height);
  check(Number(height) >= 1, 'committed without a height');
  const block = `#chain .block[data-height="${height}"]`;
  await page.waitForSelector(block, { timeout: 10000 });
  check(Number(await page.$eval(block, (b) => b.dataset.txs)) >= 1, 'the block shows no transaction');
  await page.click(block + ' rect');
  await page.waitForFunction(() => document.querySelector('#block-details').textContent.includes('commit certificate'),
    { timeout: 10000 });
  const details = await page.$eval('#block-details', (d) => d.textContent);
  check(details.includes(`block #${height}`) && details.includes('amount'), 'the details miss the transfer');
  await shot(page, 'web-view.png');
}

// Proof of work: the double-spend scenario started from the page; the honest miners reorg
// onto the attacker's branch, and the tree shows the abandoned blocks as a side branch.
async function powReorg(page) {
  await page.goto(url);
  await page.waitForFunction(() => {
    const all = [...document.querySelectorAll('.lane')];
    return all.length === 4 && all.every((l) => l.dataset.status === 'up' && Number(l.dataset.height) >= 1);
  }, { timeout: 30000 });
  await page.waitForFunction(() => document.querySelector('#scenario-name option[value="double-spend"]'));
  await page.select('#scenario-name', 'double-spend');
  const started = Date.now();
  await page.click('#start-scenario');
  await page.waitForSelector('#actions li[data-state="running"]', { timeout: 10000 });
  // The scenario takes about 45 s (52 s in our last run from the page): two rounds, the
  // second one a reorg of 6 blocks or more. The timeout leaves a wide margin for a busy machine.
  await page.waitForSelector('#actions li[data-state="done"], #actions li[data-state="failed"]',
    { timeout: 170000, polling: 1000 });
  console.log(`the scenario ended ${((Date.now() - started) / 1000).toFixed(1)} s after the start button`);
  const verdict = await page.$eval('#actions li', (li) => li.textContent);
  check(/PASS/.test(verdict), 'the scenario did not pass: ' + verdict);
  const log = await page.$eval('#happenings', (l) => l.textContent);
  check(/node-0 reorganised/.test(log), 'the log shows no reorg on node-0');
  check((await page.$$('#chain .block.side')).length >= 6, 'the tree shows no abandoned branch');
  // Bring the fork into view for the picture.
  await page.$eval('#chain', (chain) => {
    const side = chain.querySelector('.block.side rect');
    chain.scrollLeft = Math.max(0, Number(side.getAttribute('x')) - 200);
  });
  await shot(page, 'web-view-pow.png');
}

// Proof of stake: the nothing-at-stake scenario started from the page. The double-signer's
// slash reaches the page through the nodes' push streams: the slashes list names offender,
// reason, heights and amount, the offender's lane is marked, and the block that carried the
// evidence is marked in the tree.
async function posSlash(page) {
  await page.goto(url);
  await page.waitForFunction(() => {
    const all = [...document.querySelectorAll('.lane')];
    return all.length === 4 && all.every((l) => l.dataset.status === 'up' && Number(l.dataset.height) >= 1);
  }, { timeout: 30000 });
  check(!(await page.$eval('#slashes-panel', (p) => p.hidden)), 'no slashes panel on a PoS page');
  check((await page.$$('#slashes li.slash')).length === 0, 'a slash before the scenario');
  await page.waitForFunction(() => document.querySelector('#scenario-name option[value="nothing-at-stake"]'));
  await page.select('#scenario-name', 'nothing-at-stake');
  const started = Date.now();
  await page.click('#start-scenario');
  await page.waitForSelector('#actions li[data-state="running"]', { timeout: 10000 });
  await page.waitForSelector('#slashes li.slash', { timeout: 120000, polling: 500 });
  console.log(`the slash showed ${((Date.now() - started) / 1000).toFixed(1)} s after the start button`);
  // A reorg can move the slash to a later block just after it first shows (the offender's
  // own branch, without the evidence, wins for a while), and the panel, the lane and the tree
  // each follow it: wait until all three name one block, then read panel and lane together.
  await page.waitForFunction(() => {
    const li = document.querySelector('#slashes li.slash');
    const lane = document.querySelector('.lane[data-node="3"] .lane-event.slash');
    const height = li && li.dataset.height;
    return lane && lane.textContent.includes(`slashed at block #${height}`) &&
      document.querySelector(`#chain .block.evidence[data-height="${height}"]`);
  }, { timeout: 20000, polling: 250 });
  const slash = await page.evaluate(() => {
    const li = document.querySelector('#slashes li.slash');
    const lane = document.querySelector('.lane[data-node="3"] .lane-event.slash');
    return { offender: li.dataset.offender, height: Number(li.dataset.height),
      amount: li.dataset.amount, text: li.textContent, lane: lane ? lane.textContent : '' };
  });
  // The scenario restarts the last validator as the double-signer.
  check(slash.offender === 'node-3', 'the slash names ' + slash.offender);
  check(/slashed for double_sign: signed two blocks at height \d+; evidence in block #\d+/.test(slash.text),
    'the slash reads ' + slash.text);
  check(Number(slash.amount) > 0, 'the slash took no amount: ' + slash.text);
  await page.waitForSelector('.lane.slashed[data-node="3"] .badge.slashed', { timeout: 5000 });
  check((await page.$$('.lane.slashed')).length === 1, 'more than the offender is marked slashed');
  check(slash.lane.includes(`slashed at block #${slash.height}`), 'the lane says ' + slash.lane);
  await page.waitForSelector(`#chain .block.evidence[data-height="${slash.height}"]`, { timeout: 15000 });
  const log = await page.$eval('#happenings', (l) => l.textContent);
  check(log.includes('node-3 slashed for double_sign'), 'the log does not show the slash');
  await page.$eval('#chain', (chain) => {
    const marked = chain.querySelector('.block.evidence rect');
    chain.scrollLeft = Math.max(0, Number(marked.getAttribute('x')) - 400);
  });
  await shot(page, 'web-view-pos-slash.png');
}

// A simulated run's message-sequence chart draws its messages and steps through them.
async function simTraceRenders(page) {
  await page.goto(url);
  await page.waitForSelector('.msc-title', { timeout: 10000 });
  const total = await page.$eval('.msc-title', (t) => t.textContent);
  const messages = Number(/(\d+) messages/.exec(total)[1]);
  check(messages > 100, 'the chart counts only ' + messages + ' messages');
  await page.click('button[data-action="next-view"]');
  await page.waitForSelector('.msc-msg', { timeout: 10000 });
  const status = await page.$eval('#msc-status', (s) => s.textContent);
  check(Number(await page.$eval('#msc-status', (s) => s.dataset.shown)) > 0, 'no message in view: ' + status);
  check(/view/.test(await page.$eval('.msc-details', (d) => d.textContent)), 'next view change shows no view event');
  const step = async () => Number(await page.$eval('#msc-status', (s) => s.dataset.step));
  const atView = await step();
  check(atView > 1, 'next view change left the cursor at step ' + atView);
  for (const [action, expected] of [['forward', atView + 1], ['forward', atView + 2], ['back', atView + 1]]) {
    await page.click(`button[data-action="${action}"]`);
    check(await step() === expected, `${action} went to step ${await step()}, not ${expected}`);
    check(new RegExp(`^step ${expected} / `).test(await page.$eval('#msc-status', (s) => s.textContent)),
      'the status line does not say step ' + expected);
  }
  check((await page.$eval('.msc-details', (d) => d.textContent)).length > 0, 'stepping shows no event');
  check((await page.$$('.msc-msg')).length > 0, 'no arrows drawn');
  await shot(page, 'msc.png');
}

// A run with every kind of fault (run.sh picks one): moved to the first drop, partition,
// crash and Byzantine message in turn, the chart draws each one's mark. Where they are is
// read from the trace itself, the same JSON the page draws from.
async function simFaultsMarked(page) {
  await page.goto(url);
  await page.waitForSelector('.msc-title', { timeout: 10000 });
  const events = await page.$eval('#synod-trace', (s) => JSON.parse(s.textContent).events);
  // A step is a send or a mark; deliveries and drops belong to their send's arrow.
  const steps = events.filter((e) => e.kind !== 'deliver' && e.kind !== 'drop');
  const sendOf = (id) => steps.findIndex((e) => e.kind === 'send' && e.id === id);
  const drop = events.find((e) => e.kind === 'drop');
  const byzantine = events.find((e) => e.kind === 'send' && e.byzantine);
  const wanted = [
    ['drop', drop && sendOf(drop.id), [`.msc-msg.dropped[data-id="${drop && drop.id}"] .msc-drop`], /dropped at/],
    ['partition', steps.findIndex((e) => e.kind === 'partition'), ['.msc-partition'], /partition: \{/],
    // The crashed stretch of the lane is darkened.
    ['crash', steps.findIndex((e) => e.kind === 'crash'), ['.msc-mark.crash', '.msc-down'], /crashes at height/],
    // The Byzantine node's name is red too.
    ['Byzantine message', byzantine && sendOf(byzantine.id),
      [`.msc-msg.byzantine[data-id="${byzantine && byzantine.id}"]`, '.msc-node.byzantine'], /sent by a Byzantine node/]];
  for (const [what, index, selectors, described] of wanted) {
    check(index !== undefined && index >= 0, `the trace holds no ${what}`);
    await page.$eval('.msc-slider', (slider, i) => {
      slider.value = i;
      slider.dispatchEvent(new Event('input'));
    }, index);
    check(Number(await page.$eval('#msc-status', (s) => s.dataset.step)) === index + 1, 'the cursor is not at the ' + what);
    check(described.test(await page.$eval('.msc-details', (d) => d.textContent)), `the box does not describe the ${what}`);
    for (const selector of selectors) check(await page.$(selector), `no ${what} mark drawn (${selector})`);
    console.log(`${what}: step ${index + 1} of ${steps.length}, drawn`);
  }
}

// A proof-of-work run's chart: block messages as arrows, blocks mined, a fork and a reorg
// labelled where they happened.
async function powTraceRenders(page) {
  await page.goto(url);
  await page.waitForSelector('.msc-title', { timeout: 10000 });
  const title = await page.$eval('.msc-title', (t) => t.textContent);
  check(/pow seed/.test(title), 'not a proof-of-work chart: ' + title);
  check(Number(/(\d+) messages/.exec(title)[1]) > 100, 'too few messages: ' + title);
  check(Number(/(\d+) reorgs/.exec(title)[1]) >= 1, 'the title counts no reorg: ' + title);
  await page.click('button[data-action="next-fork"]');
  await page.waitForSelector('.msc-mark.fork', { timeout: 10000 });
  check(/fork at height/.test(await page.$eval('.msc-details', (d) => d.textContent)), 'next fork shows no fork');
  await page.click('button[data-action="next-reorg"]');
  await page.waitForSelector('.msc-mark.reorg', { timeout: 10000 });
  const details = await page.$eval('.msc-details', (d) => d.textContent);
  check(/reorganises: \d+ block\(s\)/.test(details), 'next reorg shows no reorg: ' + details);
  const label = await page.$eval('.msc-mark.reorg text', (t) => t.textContent);
  check(/^REORG −\d+ → #\d+$/.test(label), 'the reorg label reads ' + label);
  check((await page.$$('.msc-msg.type-block')).length > 0, 'no block message arrows in view');
  check((await page.$$('.msc-mark.mined')).length > 0, 'no block mined in view');
  await shot(page, 'msc-pow.png');
}

const cases = { 'nodes': laneButtonsWork, 'kill': killShowsViewChange, 'transfer': transferInBlock,
  'pow-reorg': powReorg, 'sim-trace': simTraceRenders, 'sim-faults': simFaultsMarked,
  'pow-trace': powTraceRenders, 'pos-slash': posSlash };

(async () => {
  const run = cases[testCase];
  if (!run) { console.error('unknown case ' + testCase); process.exit(2); }
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  let failed = false;
  try {
    await run(page);
    check(errors.length === 0, 'script errors on the page: ' + errors.join('; '));
    console.log('PASS ' + testCase);
  } catch (error) {
    failed = true;
    console.error('FAIL ' + testCase + ': ' + error.message);
    await page.screenshot({ path: path.join(screenshotDir, 'failed-' + testCase + '.png'), fullPage: true }).catch(() => {});
  }
  await browser.close();
  process.exit(failed ? 1 : 0);
})();
