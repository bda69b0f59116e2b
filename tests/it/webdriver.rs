//! A minimal WebDriver client (W3C protocol, JSON over HTTP) for the
//! browser journeys, enough to drive headless Chromium through Debian's
//! `chromedriver`: start a session, open pages, find elements, type,
//! click, read text and the page source. Every request has a timeout.
//! Where Chromium or chromedriver are missing, `Browser::locate` says why,
//! so the caller can skip with that reason (or fail under CI).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

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

/// A running chromedriver, killed on drop.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    port: u16,
    base: String,
    http: reqwest::Client,
    browser: Browser,
    /// Sessions opened, closed on drop even after a failed assertion, so
    /// no browser outlives the test.
    sessions: std::sync::Mutex<Vec<String>>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let sessions =
            std::mem::take(&mut *self.sessions.lock().unwrap_or_else(|e| e.into_inner()));
        for id in sessions {
            delete_session_blocking(self.port, &id);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `DELETE /session/{id}` over a plain socket (no runtime in `drop`),
/// bounded by timeouts; failures are ignored.
fn delete_session_blocking(port: u16, id: &str) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let request = format!(
        "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

impl Driver {
    pub async fn start(browser: Browser) -> Self {
        let port = free_port();
        let child = Command::new(&browser.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("an HTTP client");
        let driver = Self {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
            http,
            browser,
            sessions: std::sync::Mutex::new(Vec::new()),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = driver
                .http
                .get(format!("{}/status", driver.base))
                .send()
                .await;
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
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": self.browser.chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--lang=de-DE",
                    "--window-size=1280,1600", format!("--user-data-dir={}", profile.display())],
                "prefs": {"download.default_directory": downloads, "download.prompt_for_download": false}
            }
        }}});
        let answer = post(&self.http, &format!("{}/session", self.base), &capabilities).await;
        let id = answer["value"]["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(id.clone());
        let session = Session {
            http: self.http.clone(),
            base: format!("{}/session/{id}", self.base),
        };
        let allow = json!({"cmd": "Browser.setDownloadBehavior",
            "params": {"behavior": "allow", "downloadPath": downloads}});
        session.command("goog/cdp/execute", &allow).await;
        session
    }
}

async fn post(http: &reqwest::Client, url: &str, body: &Value) -> Value {
    let response = http
        .post(url)
        .json(body)
        .send()
        .await
        .expect("chromedriver answers");
    let status = response.status();
    let value: Value = response.json().await.expect("chromedriver answers JSON");
    assert!(status.is_success(), "POST {url} {body}: {status} {value}");
    value
}

/// One browser window.
#[derive(Debug, Clone)]
pub struct Session {
    http: reqwest::Client,
    base: String,
}

/// An element of the current page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Session {
    async fn command(&self, path: &str, body: &Value) -> Value {
        post(&self.http, &format!("{}/{path}", self.base), body).await["value"].clone()
    }

    /// A command that may fail (e.g. while a page loads): `None` then.
    async fn try_command(&self, path: &str, body: &Value) -> Option<Value> {
        let url = format!("{}/{path}", self.base);
        let response = self.http.post(&url).json(body).send().await.ok()?;
        let ok = response.status().is_success();
        let value: Value = response.json().await.ok()?;
        ok.then(|| value["value"].clone())
    }

    async fn read(&self, path: &str) -> Value {
        let url = format!("{}/{path}", self.base);
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .expect("chromedriver answers");
        response
            .json::<Value>()
            .await
            .expect("chromedriver answers JSON")["value"]
            .clone()
    }

    pub async fn open(&self, url: &str) {
        self.command("url", &json!({"url": url})).await;
    }

    pub async fn url(&self) -> String {
        self.read("url")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The visible text of the whole page.
    pub async fn text(&self) -> String {
        let body = self.find("body").await;
        self.text_of(&body).await
    }

    /// The first element matching `css`, waiting (bounded) for it to
    /// appear while a page loads.
    pub async fn find(&self, css: &str) -> Element {
        let query = json!({"using": "css selector", "value": css});
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(found) = self.try_command("element", &query).await
                && let Some(id) = found[ELEMENT].as_str()
            {
                return Element(id.to_owned());
            }
            assert!(
                Instant::now() < deadline,
                "no element {css} on {}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks a submit button and waits (bounded) until the next page has
    /// replaced this one.
    pub async fn submit(&self, css: &str) {
        let button = self.find(css).await;
        self.submit_element(&button).await;
    }

    /// Clicks `button` and waits (bounded) for the next page.
    pub async fn submit_element(&self, button: &Element) {
        let old = self.find("html").await;
        self.click_element(button).await;
        let deadline = Instant::now() + Duration::from_secs(15);
        while self
            .read(&format!("element/{}/name", old.0))
            .await
            .is_string()
        {
            assert!(Instant::now() < deadline, "the form led nowhere");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.find("body").await;
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self
            .command("elements", &json!({"using": "css selector", "value": css}))
            .await;
        found.as_array().map_or_else(Vec::new, |all| {
            all.iter()
                .filter_map(|e| e[ELEMENT].as_str())
                .map(|id| Element(id.to_owned()))
                .collect()
        })
    }

    /// Elements matching an XPath below `parent`.
    pub async fn find_in(&self, parent: &Element, xpath: &str) -> Vec<Element> {
        let path = format!("element/{}/elements", parent.0);
        let found = self
            .command(&path, &json!({"using": "xpath", "value": xpath}))
            .await;
        found.as_array().map_or_else(Vec::new, |all| {
            all.iter()
                .filter_map(|e| e[ELEMENT].as_str())
                .map(|id| Element(id.to_owned()))
                .collect()
        })
    }

    pub async fn text_of(&self, element: &Element) -> String {
        self.read(&format!("element/{}/text", element.0))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Clears a field and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.command(&format!("element/{}/clear", element.0), &json!({}))
            .await;
        self.command(
            &format!("element/{}/value", element.0),
            &json!({"text": text}),
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.command(&format!("element/{}/click", element.0), &json!({}))
            .await;
    }

    pub async fn click_element(&self, element: &Element) {
        self.command(&format!("element/{}/click", element.0), &json!({}))
            .await;
    }

    /// Chooses the option with `value` in the select `css`.
    pub async fn choose(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value=\"{value}\"]"))
            .await;
    }

    pub async fn close(self) {
        let _ = self.http.delete(&self.base).send().await;
    }
}
