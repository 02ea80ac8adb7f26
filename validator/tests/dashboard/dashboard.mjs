// Loads the validator's dashboard in Debian's chromium (puppeteer-core drives the system
// browser; it downloads none) and checks what it shows. Run by validator/tests/dashboard.rs
// and validator/tests/judged.rs with one JSON argument:
//
//   node dashboard.mjs '{"url": "...", "chromium": "/usr/bin/chromium", "out": "DIR",
//                        "miners": {"0": [uids], "1": [uids]}, "payment": true,
//                        "proposal": {"title": "..."}, "timeout_ms": 240000}'
//
// 1. Every subnet in `miners` has a card, and its metagraph table a row per listed uid.
// 2. With `proposal`: the proposals section says none is open; the script prints
//    `{"step": "propose"}` and the caller opens a directive proposal titled `title`; the
//    page shows it with an empty tally; the script prints `{"step": "vote", "proposal": N}`
//    and the caller votes aye; the page shows the aye stake and the voter.
// 3. Without a reload, the page follows the chain: the block number moves on and, when
//    `payment` is set (no epoch had paid at load), a listed miner's incentive goes from 0 to
//    more than 0 once an epoch pays.
// 4. The metagraph sorts by a clicked column, and stays sorted across redraws; on a
//    phone-sized screen nothing overflows the page sideways, and a wide table scrolled
//    sideways stays scrolled across redraws.
// Screenshots: OUT/dashboard.png (desktop, full page), OUT/dashboard-phone.png and
// OUT/dashboard-phone-governance.png (its directives and proposals).
//
// With `"expect_sentinels": {"netuid": 1, "members": [uids], "quarantined": [{"uid",
// "hotkey"}]}` instead of `miners` (judged.rs, on a network whose committee sits), it watches
// the sentinels section until the committee's row lists exactly `members` and every
// `quarantined` hotkey has its row with its uid, and records each open case row it saw on
// the way (the caller checks them against the chain). Screenshots: OUT/sentinels.png
// (desktop, full page), OUT/sentinels-case.png (the section when a case was first seen) and
// OUT/sentinels-phone.png; nothing overflows on the phone.
//
// In both modes: no console error, page error or failed request from start to end. Prints
// one JSON line with what it saw (the last line); exits 1 with the reason on the first
// failure.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import puppeteer from 'puppeteer-core';

const args = JSON.parse(process.argv[2]);
const timeout = args.timeout_ms ?? 240000;
const problems = [];

function fail(why) {
  throw new Error(why);
}

// Tells the caller a step is due (one JSON line on stdout) and waits for its answer, one
// line on stdin: `{"done": true}` or `{"error": "..."}`.
let answers = null;
async function step(message) {
  answers ??= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  console.log(JSON.stringify(message));
  const { value, done } = await answers.next();
  if (done) fail(`the caller closed stdin instead of doing ${JSON.stringify(message)}`);
  const answer = JSON.parse(value);
  if (answer.error) fail(`the caller failed ${JSON.stringify(message)}: ${answer.error}`);
}

// page.waitForFunction(fn, …fnArgs), failing with what it waited for rather than puppeteer's
// bare "Waiting failed".
async function until(page, what, ms, fn, ...fnArgs) {
  try {
    await page.waitForFunction(fn, { timeout: ms, polling: 250 }, ...fnArgs);
  } catch (e) {
    fail(`${what}: not within ${ms / 1000} s (${e.message})`);
  }
}

const blockOf = (page) => page.$eval('#block', (el) => Number(el.getAttribute('data-block')));

// Waits for the page to redraw at a block after the one it shows now.
async function nextBlock(page) {
  await page.waitForFunction((b) => Number(document.querySelector('#block').getAttribute('data-block')) > b,
    { timeout: 60000, polling: 250 }, await blockOf(page));
}

// Counted from the start: the page must update in place, never reload.
let navigations = 0;

// A phone's screen (the page reloads for it): once every selector in `drawn` is drawn again,
// nothing overflows the page sideways.
async function onAPhone(page, drawn) {
  if (navigations !== 1) fail(`the page navigated ${navigations} times: it must update in place`);
  await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  for (const selector of drawn) await page.waitForSelector(selector, { timeout: 30000 });
  await new Promise((r) => setTimeout(r, 500));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) fail(`on a phone the page is ${overflow} px wider than the screen`);
}

// 1.–4.: the network, a proposal's tally, live updates, sorting and a phone.
async function network(page) {
  // 1. Both subnets and their miners.
  const expected = args.miners;
  await page.waitForFunction((miners) => Object.entries(miners).every(([netuid, uids]) => {
    const card = document.querySelector(`article.subnet[data-netuid="${netuid}"]`);
    if (!card) return false;
    const digest = card.querySelector('[data-field="model-digest"]');
    if (!digest || !/^0x[0-9a-f]{64}$/.test(digest.textContent)) return false;
    return uids.every((uid) => card.querySelector(`table.metagraph tr[data-uid="${uid}"]`));
  }), { timeout: 90000, polling: 250 }, expected);
  const incentivesOf = () => page.evaluate((miners) => {
    const out = {};
    for (const [netuid, uids] of Object.entries(miners)) {
      for (const uid of uids) {
        const cell = document.querySelector(
          `table.metagraph[data-netuid="${netuid}"] tr[data-uid="${uid}"] [data-field="incentive"]`);
        out[`${netuid}/${uid}`] = cell ? parseFloat(cell.textContent) : NaN;
      }
    }
    return out;
  }, expected);
  const firstBlock = await blockOf(page);
  const firstIncentives = await incentivesOf();
  const subnets = await page.$$eval('article.subnet', (cards) => cards.map((c) => ({
    netuid: Number(c.getAttribute('data-netuid')),
    name: c.querySelector('h3').firstChild.textContent,
    rows: c.querySelectorAll('table.metagraph tbody tr').length,
  })));
  for (const netuid of Object.keys(expected)) {
    if (!subnets.some((s) => s.netuid === Number(netuid))) fail(`subnet ${netuid} is not shown`);
  }
  if (!(firstBlock > 0)) fail(`no block number shown: ${firstBlock}`);

  // 2. A proposal opened and voted on while the page is open.
  const proposal = args.proposal ? await proposalTally(page, args.proposal.title) : null;

  // 3. Live: the block moves on, and an epoch's pay shows, without a reload.
  await page.waitForFunction((b) => Number(document.querySelector('#block').getAttribute('data-block')) > b,
    { timeout: 60000, polling: 250 }, firstBlock);
  let paid = null;
  if (args.payment) {
    const zero = Object.values(firstIncentives).every((v) => v === 0);
    if (!zero) fail(`an incentive was not 0 at load: ${JSON.stringify(firstIncentives)}`);
    await page.waitForFunction((miners) => Object.entries(miners).some(([netuid, uids]) => uids.some((uid) => {
      const cell = document.querySelector(
        `table.metagraph[data-netuid="${netuid}"] tr[data-uid="${uid}"] [data-field="incentive"]`);
      return cell && parseFloat(cell.textContent) > 0;
    })), { timeout, polling: 500 }, expected);
    paid = await incentivesOf();
  }
  const lastBlock = await blockOf(page);

  // 4. Sorting and a phone's screen.
  const [netuid] = Object.keys(expected);
  const table = `table.metagraph[data-netuid="${netuid}"]`;
  await page.click(`${table} th[data-sort="stake"]`);
  await page.waitForSelector(`${table} th[data-sort="stake"][aria-sort]`, { timeout: 5000 });
  const stakes = await page.$$eval(`${table} tbody tr td:nth-child(4)`,
    (cells) => cells.map((c) => parseFloat(c.textContent)));
  const sorted = stakes.slice().sort((a, b) => b - a);
  if (JSON.stringify(stakes) !== JSON.stringify(sorted)) fail(`not sorted by stake: ${stakes}`);
  // One more redraw keeps the order the reader chose.
  await nextBlock(page);
  const still = await page.$eval(`${table} th[data-sort="stake"]`, (th) => th.getAttribute('aria-sort'));
  if (still !== 'descending') fail(`the sort was lost on redraw: ${still}`);

  await page.screenshot({ path: join(args.out, 'dashboard.png'), fullPage: true });
  await onAPhone(page, [`${table} tbody tr`, ...(proposal ? ['#proposals table.proposals tbody tr'] : [])]);
  // A wide table scrolled sideways stays where the reader put it when the page redraws.
  const scrolledAt = await page.evaluate((sel) => {
    const table = document.querySelector(sel);
    table.dataset.old = 'yes';
    table.parentElement.scrollLeft = 120;
    return table.parentElement.scrollLeft;
  }, table);
  if (!(scrolledAt > 0)) fail('on a phone the metagraph table does not scroll sideways');
  await page.waitForFunction((sel) => {
    const now = document.querySelector(sel);
    return now && !now.dataset.old;
  }, { timeout: 60000, polling: 250 }, table);
  const left = await page.$eval(table, (t) => t.parentElement.scrollLeft);
  if (Math.abs(left - scrolledAt) > 1) fail(`a redraw moved the table's scroll from ${scrolledAt} to ${left}`);
  await page.evaluate((sel) => { document.querySelector(sel).parentElement.scrollLeft = 0; }, table);
  await page.screenshot({ path: join(args.out, 'dashboard-phone.png') });
  await page.$eval('#governance', (el) => el.scrollIntoView());
  await page.screenshot({ path: join(args.out, 'dashboard-phone-governance.png') });
  return { subnets, first_block: firstBlock, last_block: lastBlock, first_incentives: firstIncentives, paid, proposal };
}

// The proposal row's shown fields (`null` without such a row).
const proposalRow = (page, index) => page.evaluate((index) => {
  const row = document.querySelector(index === null
    ? '#proposals table.proposals tbody tr' : `#proposals table.proposals tr[data-proposal="${index}"]`);
  if (!row) return null;
  const text = (name) => row.querySelector(`[data-field="${name}"]`)?.textContent ?? null;
  const widths = [...row.querySelectorAll('.tally > span')].map((s) => s.style.width);
  return {
    index: Number(row.getAttribute('data-proposal')),
    action: text('action'), scope: text('scope'), ayes: text('ayes'), nays: text('nays'),
    voters: text('voters'), status: text('status'), tally: widths,
  };
}, index);

// 2.: none open; one proposed shows with an empty tally; a vote shows in it.
async function proposalTally(page, title) {
  await page.waitForSelector('#proposals .note', { timeout: 30000 });
  const none = await page.$eval('#proposals', (el) => el.textContent);
  if (!none.includes('No proposal is open.')) fail(`proposals before one was opened: ${none}`);
  await step({ step: 'propose' });
  await until(page, 'the proposal shown', 60000, () => document.querySelector('#proposals table.proposals tbody tr'));
  const opened = await proposalRow(page, null);
  const expected = { action: `add directive “${title}”`, scope: 'network', ayes: '0', nays: '0', voters: '0', status: 'voting' };
  for (const [key, value] of Object.entries(expected)) {
    const shown = key === 'action' ? opened.action.slice(0, value.length) : opened[key];
    if (shown !== value) fail(`the new proposal's ${key} is ${JSON.stringify(opened[key])}, not ${JSON.stringify(value)}`);
  }
  if (JSON.stringify(opened.tally) !== JSON.stringify(['0%', '0%'])) fail(`an empty tally drawn as ${opened.tally}`);
  await step({ step: 'vote', proposal: opened.index });
  await until(page, 'the vote shown', 60000, (index) => document.querySelector(
    `#proposals tr[data-proposal="${index}"] [data-field="voters"]`)?.textContent === '1', opened.index);
  const voted = await proposalRow(page, opened.index);
  if (!(parseFloat(voted.ayes) > 0) || voted.nays !== '0') fail(`the tally after an aye: ${JSON.stringify(voted)}`);
  if (JSON.stringify(voted.tally) !== JSON.stringify(['100%', '0%'])) fail(`an aye drawn as ${voted.tally}`);
  return { opened, voted };
}

// The sentinels mode: the committee, the quarantined miners, and the cases seen meanwhile.
async function sentinels(page) {
  const { netuid, members, quarantined } = args.expect_sentinels;
  // Every case row drawn while the page is open, as the page drew it.
  await page.evaluate(() => {
    window.seenCases = new Map();
    const record = () => {
      for (const row of document.querySelectorAll('#cases table.cases tbody tr')) {
        const cells = [...row.children].map((c) => c.textContent);
        window.seenCases.set(row.getAttribute('data-case'), {
          id: Number(row.getAttribute('data-case')), uid: Number(row.getAttribute('data-uid')),
          netuid: Number(cells[1]), offence: cells[3], guilty: cells[4], not_guilty: cells[5],
        });
      }
    };
    record();
    new MutationObserver(record).observe(document.getElementById('cases'), { childList: true, subtree: true });
  });
  const committeeRow = `#committees table.committees tr[data-netuid="${netuid}"]`;
  await until(page, `a committee of ${members.length} shown`, 60000,
    (sel, size) => document.querySelector(`${sel} [data-field="size"]`)?.textContent === String(size),
    committeeRow, members.length);
  const drawn = await page.$eval(committeeRow, (row) => ({
    size: row.querySelector('[data-field="size"]').textContent,
    members: row.querySelector('[data-field="members"]').textContent,
  }));
  const shownMembers = drawn.members.split(',').map((u) => Number(u.trim()));
  if (JSON.stringify(shownMembers) !== JSON.stringify(members)) fail(`committee members shown ${drawn.members}, not ${members}`);

  // A case, screenshot the section while it is open; then every quarantine.
  // Runs in the page: every expected quarantine has its row, with the uid and hotkey.
  const quarantinedShown = (netuid, quarantined) => quarantined.every(({ uid, hotkey }) => {
    const row = document.querySelector(`#quarantines table.quarantines tr[data-netuid="${netuid}"][data-uid="${uid}"]`);
    return Boolean(row) && row.querySelector('td.mono').getAttribute('title') === hotkey;
  });
  await until(page, 'an open case shown', timeout, () => window.seenCases.size > 0);
  const section = await page.$('#sentinels');
  await section.screenshot({ path: join(args.out, 'sentinels-case.png') });
  await until(page, `quarantines shown: ${JSON.stringify(quarantined)}`, timeout, quarantinedShown, netuid, quarantined);
  const rows = await page.$$eval(`#quarantines table.quarantines tbody tr`, (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  const cases = await page.evaluate(() => [...window.seenCases.values()]);
  // From the top, or the sticky navigation is drawn where the section's screenshot scrolled.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(args.out, 'sentinels.png'), fullPage: true });
  await onAPhone(page, [`${committeeRow} [data-field="members"]`, '#quarantines table.quarantines tbody tr']);
  await page.$eval('#sentinels', (el) => el.scrollIntoView());
  await page.screenshot({ path: join(args.out, 'sentinels-phone.png') });
  return { committee: drawn, quarantines: rows, cases };
}

const browser = await puppeteer.launch({
  executablePath: args.chromium,
  headless: true,
  // Root in a container has no user namespace for the sandbox.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
let result;
try {
  mkdirSync(args.out, { recursive: true });
  const page = await browser.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) navigations += 1;
  });
  await page.setViewport({ width: 1366, height: 900 });
  const response = await page.goto(args.url, { waitUntil: 'domcontentloaded', timeout: 30000 });
  if (!response.ok()) fail(`GET ${args.url}: HTTP ${response.status()}`);
  const csp = response.headers()['content-security-policy'] ?? '';
  if (!csp.includes("script-src 'self'")) fail(`no content security policy: ${csp}`);

  result = args.expect_sentinels ? await sentinels(page) : await network(page);

  if (problems.length) fail(`errors in the browser:\n${problems.join('\n')}`);
} catch (e) {
  console.error(e.message);
  if (problems.length) console.error(problems.join('\n'));
  await browser.close();
  process.exit(1);
}
await browser.close();
console.log(JSON.stringify(result));
process.exit(0);
