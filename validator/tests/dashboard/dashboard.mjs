// Loads the validator's dashboard in Debian's chromium (puppeteer-core drives the system
// browser; it downloads none) and checks what it shows. Run by validator/tests/dashboard.rs:
//
//   node dashboard.mjs '{"url": "...", "chromium": "/usr/bin/chromium", "out": "DIR",
//                        "miners": {"0": [uids], "1": [uids]}, "payment": true,
//                        "timeout_ms": 240000}'
//
// 1. Every subnet in `miners` has a card, and its metagraph table a row per listed uid.
// 2. Without a reload, the page follows the chain: the block number moves on and, when
//    `payment` is set (no epoch had paid at load), a listed miner's incentive goes from 0 to
//    more than 0 once an epoch pays.
// 3. The metagraph sorts by a clicked column, and stays sorted across redraws; on a
//    phone-sized screen nothing overflows the page sideways, and a wide table scrolled
//    sideways stays scrolled across redraws.
// 4. No console error, page error or failed request from start to end.
// Screenshots: OUT/dashboard.png (desktop, full page) and OUT/dashboard-phone.png.
// Prints one JSON line with what it saw; exits 1 with the reason on the first failure.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

const args = JSON.parse(process.argv[2]);
const timeout = args.timeout_ms ?? 240000;
const problems = [];

function fail(why) {
  throw new Error(why);
}

const browser = await puppeteer.launch({
  executablePath: args.chromium,
  headless: true,
  // Root in a container has no user namespace for the sandbox.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
let result;
try {
  const page = await browser.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  let navigations = 0;
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) navigations += 1;
  });
  await page.setViewport({ width: 1366, height: 900 });
  const response = await page.goto(args.url, { waitUntil: 'domcontentloaded', timeout: 30000 });
  if (!response.ok()) fail(`GET ${args.url}: HTTP ${response.status()}`);
  const csp = response.headers()['content-security-policy'] ?? '';
  if (!csp.includes("script-src 'self'")) fail(`no content security policy: ${csp}`);

  // 1. Both subnets and their miners.
  const expected = args.miners;
  await page.waitForFunction((miners) => Object.entries(miners).every(([netuid, uids]) => {
    const card = document.querySelector(`article.subnet[data-netuid="${netuid}"]`);
    if (!card) return false;
    const digest = card.querySelector('[data-field="model-digest"]');
    if (!digest || !/^0x[0-9a-f]{64}$/.test(digest.textContent)) return false;
    return uids.every((uid) => card.querySelector(`table.metagraph tr[data-uid="${uid}"]`));
  }), { timeout: 90000, polling: 250 }, expected);
  const blockOf = () => page.$eval('#block', (el) => Number(el.getAttribute('data-block')));
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
  const firstBlock = await blockOf();
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

  // 2. Live: the block moves on, and an epoch's pay shows, without a reload.
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
  const lastBlock = await blockOf();
  if (navigations !== 1) fail(`the page navigated ${navigations} times: it must update in place`);

  // 3. Sorting and a phone's screen.
  const [netuid] = Object.keys(expected);
  const table = `table.metagraph[data-netuid="${netuid}"]`;
  await page.click(`${table} th[data-sort="stake"]`);
  await page.waitForSelector(`${table} th[data-sort="stake"][aria-sort]`, { timeout: 5000 });
  const stakes = await page.$$eval(`${table} tbody tr td:nth-child(4)`,
    (cells) => cells.map((c) => parseFloat(c.textContent)));
  const sorted = stakes.slice().sort((a, b) => b - a);
  if (JSON.stringify(stakes) !== JSON.stringify(sorted)) fail(`not sorted by stake: ${stakes}`);
  // One more redraw keeps the order the reader chose.
  const before = await blockOf();
  await page.waitForFunction((b) => Number(document.querySelector('#block').getAttribute('data-block')) > b,
    { timeout: 60000, polling: 250 }, before);
  const still = await page.$eval(`${table} th[data-sort="stake"]`, (th) => th.getAttribute('aria-sort'));
  if (still !== 'descending') fail(`the sort was lost on redraw: ${still}`);

  mkdirSync(args.out, { recursive: true });
  await page.screenshot({ path: join(args.out, 'dashboard.png'), fullPage: true });
  await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await new Promise((r) => setTimeout(r, 500));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) fail(`on a phone the page is ${overflow} px wider than the screen`);
  // A wide table scrolled sideways stays where the reader put it when the page redraws.
  const scrolledAt = await page.evaluate((sel) => {
    const table = document.querySelector(sel);
    table.dataset.old = 'yes';
    table.parentElement.scrollLeft = 120;
    return {
      left: table.parentElement.scrollLeft,
      block: Number(document.querySelector('#block').getAttribute('data-block')),
    };
  }, table);
  if (!(scrolledAt.left > 0)) fail('on a phone the metagraph table does not scroll sideways');
  await page.waitForFunction((sel) => {
    const now = document.querySelector(sel);
    return now && !now.dataset.old;
  }, { timeout: 60000, polling: 250 }, table);
  const left = await page.$eval(table, (t) => t.parentElement.scrollLeft);
  if (Math.abs(left - scrolledAt.left) > 1) fail(`a redraw moved the table's scroll from ${scrolledAt.left} to ${left}`);
  await page.evaluate((sel) => { document.querySelector(sel).parentElement.scrollLeft = 0; }, table);
  await page.screenshot({ path: join(args.out, 'dashboard-phone.png') });

  // 4. No error on the way.
  if (problems.length) fail(`errors in the browser:\n${problems.join('\n')}`);
  result = { subnets, first_block: firstBlock, last_block: lastBlock, first_incentives: firstIncentives, paid };
} catch (e) {
  console.error(e.message);
  if (problems.length) console.error(problems.join('\n'));
  await browser.close();
  process.exit(1);
}
await browser.close();
console.log(JSON.stringify(result));
