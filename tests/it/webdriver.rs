//! The browser journeys' hold on headless Chromium: Debian's
//! `chromedriver` started on a free port and driven through `fantoccini`
//! (a maintained WebDriver client), with the few steps the journeys need
//! on top: open a page, find elements (waiting, bounded, while a page
//! loads), type, click, submit and wait for the next page, read text.
//! Where Chromium or chromedriver are missing, `Browser::locate` says
//! why, so the caller can skip with that reason (or fail under CI).

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long a page may take to show what a step waits for.
const PAGE_WAIT: Duration = Duration::from_secs(15);

/// The Chromium and chromedriver binaries.
#[derive(Debug, Clone)]
pub struct Browser {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

impl Browser {
    /// `EFA_CHROMIUM` / `EFA_CHROMEDRIVER`, else `chromium` and
    /// `chromedriver` on `PATH`; `Err` names what is missing.
    pub fn locate() -> Result<Self, String> {
        let chromium = std::env::var_os("EFA_CHROMIUM")
            .map(PathBuf::from)
            .or_else(|| on_path(&["chromium", "chromium-browser"]))
            .filter(|path| path.is_file());
        let chromedriver = std::env::var_os("EFA_CHROMEDRIVER")
            .map(PathBuf::from)
            .or_else(|| on_path(&["chromedriver"]))
            .filter(|path| path.is_file());
        match (chromium, chromedriver) {
            (Some(chromium), Some(chromedriver)) => Ok(Self {
                chromium,
                chromedriver,
            }),
            (None, _) => Err("no chromium on PATH (ops/install-browser.sh installs it)".to_owned()),
            (_, None) => {
                Err("no chromedriver on PATH (ops/install-browser.sh installs it)".to_owned())
            }
        }
    }
}

/// A running chromedriver in a process group of its own, which is
/// killed on drop: chromedriver and the browsers it started. Killing
/// chromedriver alone left the browsers of a failed journey running.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    base: String,
    browser: Browser,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group's id is chromedriver's pid (`process_group(0)`).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub async fn start(browser: Browser) -> Self {
        // Below the ephemeral range, like the test servers' ports: a port
        // from bind(0), released, may be taken by another listener before
        // chromedriver binds it.
        let port = efa_runtime::nats_server::free_port().expect("a free port");
        let child = Command::new(&browser.chromedriver)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            browser,
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("an HTTP client");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http.get(format!("{}/status", driver.base)).send().await;
            if let Ok(response) = ready
                && let Ok(body) = response.json::<Value>().await
                && body["value"]["ready"] == true
            {
                return driver;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A new headless browser with its own profile and download folder.
    pub async fn session(&self, profile: &Path, downloads: &Path) -> Session {
        let options = json!({
            "binary": self.browser.chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--lang=de-DE",
                "--window-size=1280,1600", format!("--user-data-dir={}", profile.display())],
            "prefs": {"download.default_directory": downloads, "download.prompt_for_download": false}
        });
        let mut capabilities = Capabilities::new();
        capabilities.insert("browserName".to_owned(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".to_owned(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&self.base)
            .await
            .expect("chromedriver opens a session");
        client
            .issue_cmd(Cdp(json!({"cmd": "Browser.setDownloadBehavior",
                "params": {"behavior": "allow", "downloadPath": downloads}})))
            .await
            .expect("chromedriver allows downloads");
        Session { client }
    }
}

/// A Chrome DevTools command through chromedriver's `goog/cdp/execute`,
/// which the WebDriver standard does not have.
#[derive(Debug)]
struct Cdp(Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.0.to_string()))
    }
}

/// One browser window.
#[derive(Debug, Clone)]
pub struct Session {
    client: Client,
}

impl Session {
    /// What axe-core (`script`, the text of `axe.min.js`) finds on the
    /// open page against the WCAG 2.0 and 2.1 rules of levels A and AA:
    /// one line per rule broken, with the elements that break it; empty
    /// when none. Run through WebDriver, which the page's Content Security
    /// Policy does not govern.
    pub async fn accessibility_violations(&self, script: &str) -> Vec<String> {
        let run = format!(
            "{script}\n\
             const done = arguments[arguments.length - 1];\n\
             axe.run(document, {{ runOnly: {{ type: 'tag', values: \
             ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }} }})\n\
             .then(result => done(result.violations.map(v => v.id + ' (' + v.impact + '): ' \
             + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '))))\n\
             .catch(error => done(['axe-core failed: ' + error]));"
        );
        let found = (self.client.execute_async(&run, vec![]).await).expect("run axe-core");
        serde_json::from_value(found).expect("axe-core's answer is a list of lines")
    }

    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.expect("open the page");
    }

    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|url| url.to_string())
            .unwrap_or_default()
    }

    /// The visible text of the whole page.
    pub async fn text(&self) -> String {
        let body = self.find("body").await;
        self.text_of(&body).await
    }

    /// The first element matching `css`, waiting (bounded) for it to
    /// appear while a page loads.
    pub async fn find(&self, css: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(PAGE_WAIT)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => element,
            Err(error) => panic!("no element {css} on {}: {error}", self.url().await),
        }
    }

    /// Clicks a submit button and waits (bounded) until the next page has
    /// replaced this one.
    pub async fn submit(&self, css: &str) {
        let button = self.find(css).await;
        self.submit_element(&button).await;
    }

    /// Clicks `button` and waits (bounded) for the next page: until the
    /// old page's root element is gone.
    pub async fn submit_element(&self, button: &Element) {
        let old = self.find("html").await;
        self.click_element(button).await;
        let deadline = Instant::now() + PAGE_WAIT;
        while old.tag_name().await.is_ok() {
            assert!(Instant::now() < deadline, "the form led nowhere");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.find("body").await;
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
    }

    /// Elements matching an XPath below `parent`.
    pub async fn find_in(&self, parent: &Element, xpath: &str) -> Vec<Element> {
        parent
            .find_all(Locator::XPath(xpath))
            .await
            .unwrap_or_default()
    }

    pub async fn text_of(&self, element: &Element) -> String {
        element.text().await.unwrap_or_default()
    }

    /// Clears a field and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        element.clear().await.expect("clear the field");
        element.send_keys(text).await.expect("type into the field");
    }

    /// Chooses the file at `path` in the file field `css`.
    pub async fn attach(&self, css: &str, path: &Path) {
        let element = self.find(css).await;
        let path = path.to_str().expect("a path as text");
        element.send_keys(path).await.expect("choose the file");
    }

    /// Sets the value of the field `css` as a date picker does (typing a
    /// date depends on the browser's locale).
    pub async fn pick_date(&self, css: &str, iso_date: &str) {
        let element = self.find(css).await;
        let element = serde_json::to_value(&element).expect("an element as JSON");
        self.client
            .execute(
                "arguments[0].value = arguments[1];",
                vec![element, json!(iso_date)],
            )
            .await
            .expect("set the date");
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.click_element(&element).await;
    }

    pub async fn click_element(&self, element: &Element) {
        element.click().await.expect("click");
    }

    /// Chooses the option with `value` in the select `css`.
    pub async fn choose(&self, css: &str, value: &str) {
        let select = self.find(css).await;
        select
            .select_by_value(value)
            .await
            .expect("choose the option");
    }

    /// Resizes the window to `width` by `height` CSS pixels.
    pub async fn resize(&self, width: u32, height: u32) {
        (self.client.set_window_size(width, height).await).expect("resize the window");
    }

    /// Whether the open page scrolls sideways as a whole: `None` when it
    /// fits the window's width, else the page's width beside the window's
    /// and the first few elements reaching past it that are not inside a
    /// box scrolling on its own (`.tabelle`).
    pub async fn wider_than_window(&self) -> Option<String> {
        let measure = "const width = document.documentElement.clientWidth;\n\
             const page = document.documentElement.scrollWidth;\n\
             if (page <= width) { return null; }\n\
             const past = [...document.querySelectorAll('body *')]\n\
               .filter(e => !e.parentElement.closest('.tabelle'))\n\
               .filter(e => e.getBoundingClientRect().right > width + 1)\n\
               .slice(0, 4)\n\
               .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' \"'\n\
                 + e.textContent.trim().slice(0, 40) + '\"');\n\
             return 'page ' + page + ' px wide in a window of ' + width + ' px: ' + past.join(', ');";
        let found = (self.client.execute(measure, vec![]).await).expect("measure the page");
        serde_json::from_value(found).expect("a text or null")
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
