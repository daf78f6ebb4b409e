import assert from 'node:assert/strict'
import { access, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { Sandbox, waitFor } from '../e2e/harness.js'
import { sha256File, writeRandom, writeText } from '../e2e/files.js'
import type { Browser, Locator, Page } from 'playwright-core'
import type { Daemon } from '../e2e/harness.js'

const LOCAL = '/ip4/127.0.0.1/tcp/0'
const MiB = 1024 * 1024
/** Longer than the page's status poll (POLL_MS in src/ui/public/app.js, 5 s). */
const SIGNED_OUT_QUIET_MS = 6_000
/** Debian's package (CI installs it: .ci/run); FSNODE_CHROMIUM points at another build. */
const BROWSERS = ['/usr/lib/chromium/chromium-headless-shell', '/usr/bin/chromium-headless-shell', '/usr/bin/chromium']
/** A file name that is HTML: the page must show it as text. */
const HOSTILE = '<img src=x onerror=alert(1)>.txt'

async function findBrowser (): Promise<string | undefined> {
  const env = process.env.FSNODE_CHROMIUM
  for (const p of env != null && env !== '' ? [env] : BROWSERS) {
    try {
      await access(p)
      return p
    } catch {}
  }
  return undefined
}

function indexedFiles (text: string | null): number {
  return Number(/^Indexed: (\d+) files?,/.exec(text ?? '')?.[1])
}

/** Poll a locator's text until it matches (the page updates from server-sent events). */
async function waitText (l: Locator, re: RegExp, what: string, timeoutMs = 20_000): Promise<string> {
  return await waitFor(async () => {
    const t = await l.textContent({ timeout: 1_000 }).catch(() => null)
    return t != null && re.test(t) ? t : undefined
  }, `${what} (${String(re)})`, timeoutMs, 100)
}

describe('ui: the web UI in a real browser (Chromium headless shell)', function () {
  this.timeout(180_000)
  let executablePath: string | undefined
  let sb: Sandbox
  let browser: Browser | undefined
  let provider: Daemon
  let node: Daemon
  let page: Page
  let apiUrl: string
  let token: string
  const problems: string[] = []

  before(async function () {
    executablePath = await findBrowser()
    if (executablePath == null) {
      console.log('      skipped: no Chromium found; install Debian\'s chromium-headless-shell (apt-get install chromium-headless-shell), as .ci/run does, or set FSNODE_CHROMIUM')
      this.skip()
    }
  })

  beforeEach(async () => {
    sb = await Sandbox.create()
    const coord = await sb.daemon(['coordinator', '--data-dir', sb.path('coord'), '--listen', LOCAL])
    // every peer is on loopback: without limitLan a download limit would not apply to them
    const config = sb.path('config.json')
    await writeFile(config, JSON.stringify({ node: { limits: { limitLan: true } } }))
    await writeRandom(sb.path('share-p', 'big.bin'), 3 * MiB + 3)
    await writeRandom(sb.path('share-p', 'slow.bin'), 6 * MiB)
    await writeText(sb.path('share-p', 'docs', 'readme.txt'), 'read me\n')
    await writeText(sb.path('share-p', 'docs', 'notes', 'todo.txt'), 'to do\n')
    await writeText(sb.path('share-p', 'docs', HOSTILE), 'just a name\n')
    await mkdir(sb.path('share-n'))
    const start = async (name: string, extra: string[] = []): Promise<Daemon> => await sb.daemon(['start', '--config', config, '--data-dir', sb.path(name), '--share', sb.path(`share-${name}`), '--listen', LOCAL, '--coordinator', coord.addr, ...extra])
    ;[provider, node] = await Promise.all([start('p', ['--api-listen', 'false']), start('n', ['--api-listen', '127.0.0.1:0'])])
    // the URL and token file of the node's API, as a user finds them
    const st = await sb.json(['status', '--data-dir', sb.path('n')])
    apiUrl = st.api.url
    token = (await readFile(st.api.tokenFile, 'utf8')).trim()
    await waitFor(async () => (await api('/files')).length >= 5, 'the provider\'s files listed', 30_000)
  })

  afterEach(async () => {
    await browser?.close()
    browser = undefined
    await sb.cleanup()
  })

  /** A GET of the node's API with its token, as curl would (quicker than a CLI command). */
  async function api (path: string): Promise<any> {
    const res = await fetch(`${apiUrl}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) })
    assert.equal(res.status, 200, `GET ${path}`)
    return await res.json()
  }

  async function status (): Promise<any> {
    return await api('/status')
  }

  it('lists, opens a folder, searches, gets a file with progress and a folder, cancels and resumes, shares, sets a limit', async () => {
    assert.match(apiUrl, /^http:\/\/127\.0\.0\.1:\d+$/)

    // log in the way a user does: fsnode ui --print gives a one-time URL
    const ui = await sb.run(['ui', '--print', '--data-dir', sb.path('n')])
    assert.equal(ui.code, 0, ui.stderr)
    const loginUrl = ui.stdout.trim()
    assert.match(loginUrl, new RegExp(`^${apiUrl}/ui/login\\?code=`))

    browser = await chromium.launch({ executablePath, timeout: 30_000 })
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    context.setDefaultTimeout(20_000)
    page = await context.newPage()
    page.on('console', m => { if (m.type() === 'error') problems.push(m.text()) })
    page.on('pageerror', e => problems.push(String(e)))
    page.on('dialog', d => { problems.push(`a dialog opened: ${d.message()}`); void d.dismiss() })
    // the page itself needs no login (it holds no data), an unknown UI path is the API's 404,
    // and without the cookie the page says how to get in
    const unknown = await fetch(`${apiUrl}/ui/secret.js`, { signal: AbortSignal.timeout(10_000) })
    assert.equal(unknown.status, 404)
    assert.equal((await unknown.json()).error.code, 'NotFoundError')
    await page.goto(`${apiUrl}/ui/`)
    await waitText(page.getByRole('alert'), /^Not signed in\. Run fsnode ui on this machine/, 'the signed-out notice')
    // signed out, the page goes quiet: no poll keeps asking (and logging a 401) every few seconds
    await page.waitForLoadState('networkidle')
    const asked: string[] = []
    const onRequest = (r: { url: () => string }): void => { asked.push(r.url()) }
    page.on('request', onRequest)
    await new Promise(resolve => setTimeout(resolve, SIGNED_OUT_QUIET_MS))
    page.off('request', onRequest)
    assert.deepEqual(asked, [], 'requests from the signed-out page')

    problems.length = 0 // the signed-out page's 401s, expected
    await page.goto(loginUrl)
    assert.equal(page.url(), `${apiUrl}/ui/`, 'the login code became a cookie and a redirect to the page')
    const cookies = await context.cookies()
    const session = cookies.find(c => c.name === 'fsnode_session')
    assert.ok(session?.httpOnly === true && session.sameSite === 'Strict', JSON.stringify(cookies))

    // the network's files: folders first, then files; a folder opens
    const files = page.getByRole('table', { name: 'Files' })
    await files.getByRole('button', { name: 'Get big.bin' }).waitFor()
    await files.getByRole('button', { name: 'Open folder docs' }).click()
    await files.getByRole('cell', { name: 'readme.txt', exact: true }).waitFor()
    await files.getByRole('button', { name: 'Open folder notes' }).waitFor()
    assert.equal(await files.getByRole('button', { name: 'Get big.bin' }).count(), 0, 'only the folder\'s files')
    // a name that is HTML shows as text: no element made of it, no script run
    await files.getByRole('cell', { name: HOSTILE, exact: true }).waitFor()
    assert.equal(await page.locator('img').count(), 0)
    await page.getByRole('navigation', { name: 'Folder' }).getByRole('button', { name: 'All files' }).click()
    await files.getByRole('button', { name: 'Get big.bin' }).waitFor()

    // search as you type, from the keyboard: no Enter needed
    const search = page.getByLabel('Search', { exact: true })
    await search.focus()
    await page.keyboard.type('tod')
    // Tab moves to the next button, whose focus ring shows
    await page.keyboard.press('Tab')
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Search')
    assert.equal(await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle), 'solid')
    await search.focus()
    await files.getByRole('cell', { name: 'docs/notes/todo.txt', exact: true }).waitFor()
    await waitFor(async () => await files.getByRole('button', { name: 'Get big.bin' }).count() === 0, 'big.bin filtered out')
    await search.fill('')
    await files.getByRole('button', { name: 'Get big.bin' }).waitFor()

    // a download limit, set in the page, is in force in the node (status) and holds the get back
    await page.getByLabel('Download limit').fill('1MiB')
    await page.getByRole('button', { name: 'Set limits' }).click()
    await waitText(page.getByTestId('limits'), /download 1\.00 MiB\/s/, 'the limit shown')
    // checked with the CLI too: what a user would run
    assert.equal((await sb.json(['status', '--data-dir', sb.path('n')])).limits.download, MiB)

    // get a file from the other node: progress shows while it runs, then the result
    await files.getByRole('button', { name: 'Get big.bin' }).click()
    const during = await waitText(page.getByRole('listitem', { name: 'big.bin: Downloading' }).getByTestId('progress'),
      /^[1-9][\d.]* [KM]iB of 3\.00 MiB \(\d+%\) · [\d.]+ [KM]iB\/s · ETA \d+ s · 1 peer$/, 'progress under way')
    assert.doesNotMatch(during, /\(100%\)/)
    const big = page.getByRole('listitem', { name: 'big.bin: Done' })
    await big.waitFor({ timeout: 60_000 })
    const result = await big.getByTestId('result').textContent() ?? ''
    assert.match(result, /^Saved to .*big\.bin: 3\.00 MiB in \d+ s \([\d.]+ [KM]iB\/s\) · from 1 peer$/)
    const saved = await big.locator('code').textContent() ?? ''
    assert.equal(await sha256File(saved), await sha256File(sb.path('share-p', 'big.bin')), 'the file on disk is the provider\'s')

    // cancel a running get; its partial stays, and Resume finishes it
    await page.getByLabel('Download limit').fill('512KiB')
    await page.getByRole('button', { name: 'Set limits' }).click()
    await waitText(page.getByTestId('limits'), /download 512\.0 KiB\/s/, 'the lower limit shown')
    await files.getByRole('button', { name: 'Get slow.bin' }).click()
    const slow = page.getByRole('listitem', { name: 'slow.bin: Downloading' })
    await waitText(slow.getByTestId('progress'), /^[1-9][\d.]* [KM]iB of 6\.00 MiB/, 'slow.bin under way')
    // the README's picture (src/ui/screenshot.png): FSNODE_UI_SCREENSHOT=src/ui/screenshot.png npx mocha dist/test/ui/browser.spec.js
    if (process.env.FSNODE_UI_SCREENSHOT != null) {
      await page.mouse.wheel(0, -10_000)
      await page.screenshot({ path: process.env.FSNODE_UI_SCREENSHOT })
    }
    await slow.getByRole('button', { name: 'Cancel slow.bin' }).click()
    const cancelled = page.getByRole('listitem', { name: 'slow.bin: Cancelled' })
    await cancelled.waitFor()
    assert.doesNotMatch(await cancelled.getByTestId('progress').textContent() ?? '', /\(100%\)/)
    // the node agrees
    const listed: any[] = await api('/downloads')
    const stoppedAt = listed.find(d => d.state === 'cancelled')
    assert.ok(stoppedAt != null && stoppedAt.bytesDone > 0 && stoppedAt.bytesDone < 6 * MiB, JSON.stringify(listed))
    await page.getByLabel('Download limit').fill('0')
    await page.getByRole('button', { name: 'Set limits' }).click()
    await waitText(page.getByTestId('limits'), /download none/, 'no limit shown')
    assert.equal((await status()).limits.download, 0)
    await cancelled.getByRole('button', { name: 'Resume slow.bin' }).click()
    const resumed = page.getByRole('listitem', { name: 'slow.bin: Done' })
    await resumed.waitFor({ timeout: 60_000 })
    assert.match(await resumed.getByTestId('result').textContent() ?? '', / · \d+ chunks resumed$/, 'it went on from the partial')
    const slowPath = await resumed.locator('code').textContent() ?? ''
    assert.equal(await sha256File(slowPath), await sha256File(sb.path('share-p', 'slow.bin')))

    // a whole folder
    await files.getByRole('button', { name: 'Get folder docs' }).click()
    // waits for the end, whatever it is, so that a failure shows its own message
    const ended = page.getByRole('listitem', { name: /^docs\/: (Done|Failed|Cancelled)$/ })
    await ended.waitFor({ timeout: 60_000 }).catch(async err => {
      throw new Error(`${String(err.message).split('\n')[0]}; the node's downloads: ${JSON.stringify(await api('/downloads'))}`)
    })
    assert.equal(await ended.getAttribute('aria-label'), 'docs/: Done', await ended.textContent() ?? '')
    const folder = page.getByRole('listitem', { name: 'docs/: Done' })
    assert.match(await folder.getByTestId('result').textContent() ?? '', /^Saved to .*: 26 B in 3 files in \d+ s/)
    const folderPath = await folder.locator('code').textContent() ?? ''
    assert.equal(await readFile(join(folderPath, 'docs', 'notes', 'todo.txt'), 'utf8'), 'to do\n')

    // share a folder by its path (the form submitted with Enter), then remove it
    const indexed = indexedFiles(await page.getByTestId('indexed').textContent())
    assert.ok(indexed >= 0, 'the page shows what is indexed')
    const extra = sb.path('extra')
    await writeText(sb.path('extra', 'one.txt'), 'one\n')
    await writeText(sb.path('extra', 'two.txt'), 'two\n')
    const shares = page.getByRole('list', { name: 'Shares' })
    await page.getByLabel('Folder or file path').fill(extra)
    await page.getByLabel('Folder or file path').press('Enter')
    await waitText(page.getByRole('status').filter({ hasText: 'Shared' }), new RegExp(`^Shared ${extra}: 2 files$`), 'the share note')
    await shares.getByRole('button', { name: `Remove share ${extra}` }).waitFor()
    await waitFor(async () => (await status()).shares?.some((s: any) => s.path === extra), 'the share in status')
    // (at least: a seed of the gets above may still be being indexed)
    await waitFor(async () => indexedFiles(await page.getByTestId('indexed').textContent()) >= indexed + 2, 'the extra files indexed')
    await shares.getByRole('button', { name: `Remove share ${extra}` }).click()
    await waitFor(async () => await shares.getByText(extra, { exact: true }).count() === 0, 'the share gone from the page')
    assert.ok(!((await status()).shares ?? []).some((s: any) => s.path === extra), 'the share gone from the node')

    // peers and status are shown, and nothing went wrong in the page (CSP, scripts)
    await page.getByRole('table', { name: 'Peers' }).getByText(provider.peerId.slice(-6)).first().waitFor()
    assert.deepEqual(problems, [])
    assert.ok(node.info.peerId.length > 0)
  })
})
