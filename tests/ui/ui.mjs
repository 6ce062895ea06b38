// tests/ui/ui.mjs BASE USER PASSWORD OUTDIR INCIDENT_ID
//
// Drives the Debian chromium (headless, through playwright-core) through
// vigil's web UI as an analyst would: sign in, dashboard, incident list, one
// incident (move it to the next phase, add a comment and an indicator),
// switch the language, sign out. Saves a screenshot of each page to OUTDIR
// and prints one JSON object with what it saw, including every console error
// and page error; tests/ui/test_ui.py asserts on it.
import { chromium } from "playwright-core";

const [base, user, password, outdir, incident] = process.argv.slice(2);
const seen = { steps: {}, console_errors: [], page_errors: [], screenshots: [] };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: "vi-VN" });
page.on("console", (m) => { if (m.type() === "error") seen.console_errors.push(m.text()); });
page.on("pageerror", (e) => seen.page_errors.push(String(e)));

async function shot(name) {
  const path = `${outdir}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  seen.screenshots.push(path);
}

try {
  await page.goto(base + "/", { waitUntil: "networkidle" });
  await page.waitForSelector("#username");
  seen.steps.login_title = await page.textContent("form.login h2");
  await shot("01-login");
  await page.fill("#username", user);
  await page.fill("#password", "wrong password");
  await page.click("#signin");
  await page.waitForSelector("p.msg.err");
  seen.steps.bad_login = await page.textContent("p.msg.err");
  await page.fill("#password", password);
  await page.click("#signin");
  await page.waitForSelector("#card-open");
  seen.steps.whoami = await page.textContent("#whoami");
  seen.steps.open_cards = await page.textContent("#card-open .big");
  seen.steps.chart_bars = await page.locator("svg.chart rect.bar").count();
  seen.steps.nav_vi = await page.textContent("#nav-incidents");
  await shot("02-dashboard-vi");

  await page.click("#nav-incidents");
  await page.waitForSelector("table tbody tr");
  seen.steps.incident_rows = await page.locator("table tbody tr").count();
  await shot("03-incidents");

  await page.goto(`${base}/#/incidents/${incident}`, { waitUntil: "networkidle" });
  await page.waitForSelector("#inc-title");
  seen.steps.incident_title = await page.textContent("#inc-title");
  seen.steps.tasks = await page.locator("#tasks li").count();
  await page.click("#to-triage");
  await page.waitForSelector(".st-triage");
  seen.steps.status_after = await page.textContent(".inc-head .badge[class*='st-']");
  await page.fill("#c-text", "Đã liên hệ BHXH Hà Nội để cô lập máy trạm <b>không phải HTML</b>");
  await page.click("#c-add");
  await page.waitForFunction(() => (document.querySelector("#timeline") || {}).textContent?.includes("cô lập máy trạm"));
  seen.steps.comment_html_escaped = await page.evaluate(() =>
    document.querySelector("#timeline").innerHTML.includes("&lt;b&gt;"));
  await page.selectOption("#i-type", "domain");
  await page.fill("#i-value", "bhxh-gov.vn");
  await page.click("#i-add");
  await page.waitForFunction(() => document.body.textContent.includes("bhxh-gov.vn"));
  await page.fill("#i-value", "not a hash");
  await page.selectOption("#i-type", "sha256");
  await page.click("#i-add");
  await page.waitForSelector("p.msg.err");
  seen.steps.bad_indicator = await page.textContent("p.msg.err");
  seen.steps.report_links = await page.locator("a[id^='pdf-']").count();
  await page.click("#filed-notification");
  await page.waitForFunction(() => !document.querySelector("#filed-notification") && document.querySelector("#pdf-initial"));
  seen.steps.notification_sent = await page.evaluate(() =>
    [...document.querySelectorAll("tr")].some((tr) => tr.textContent.includes("Thông báo sự cố") && tr.textContent.includes("Đã gửi")));
  const pdf = await page.evaluate(async (href) => {
    const r = await fetch(href); const b = new Uint8Array(await r.arrayBuffer());
    return { status: r.status, type: r.headers.get("Content-Type"), head: String.fromCharCode(...b.slice(0, 5)) };
  }, await page.getAttribute("#pdf-initial", "href"));
  seen.steps.pdf = pdf;
  await shot("04-incident-vi");

  await page.click("#lang");
  await page.waitForFunction(() => document.documentElement.lang === "en");
  seen.steps.nav_en = await page.textContent("#nav-incidents");
  seen.steps.status_en = await page.textContent(".inc-head .badge[class*='st-']");
  await shot("05-incident-en");
  await page.click("#nav-dashboard");
  await page.waitForSelector("#card-open");
  await shot("06-dashboard-en");

  await page.click("#nav-organisation");
  await page.waitForSelector("#staff-q");
  await page.fill("#staff-q", "ngô văn");
  await page.click("#staff-search");
  await page.waitForFunction(() => [...document.querySelectorAll("td")]
    .filter((td) => td.textContent.endsWith("@bhxh.example")).length === 1, null, { timeout: 5000 }).catch(() => {});
  seen.steps.staff_rows = await page.evaluate(() => [...document.querySelectorAll("td")].filter((td) => td.textContent.endsWith("@bhxh.example")).length);
  await shot("07-organisation-en");

  await page.click("#signout");
  await page.waitForSelector("#username");
  seen.steps.signed_out = true;
  const after = await page.evaluate(async () => (await (await fetch("/api/v1/session")).json()).authenticated);
  seen.steps.session_after_signout = after;
} catch (e) {
  seen.error = String(e);
  try { await shot("99-failure"); } catch (_) { /* nothing more to save */ }
}
await browser.close();
console.log(JSON.stringify(seen));
