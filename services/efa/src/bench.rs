//! `efa bench`: a load generator against a running registry. N clients
//! each repeat a round of the registry's ordinary work (a Land announces
//! a service, another Land joins it, a municipality requests its adoption
//! and records two steps, the lead Land reports a cost, and a read-your-
//! writes query of the service's detail), over NATS (signed commands, as
//! the gateway sends them, with the gateway's key from the data dir) and
//! over HTTP (through the gateway, with the demo logins), for a number of rounds or a time. In the same run it
//! measures a no-op NATS responder (a nats-server of its own, the same
//! clients and payload sizes), so each figure comes with its ratio to
//! what the transport carries. Latencies go into `hdrhistogram`s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use efa_proto::*;
use hdrhistogram::Histogram;
use serde_json::{Value, json};

use crate::nats_access::OperatorArgs;

/// Which transports a run drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Over {
    Nats,
    Http,
    Both,
}

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub connection: OperatorArgs,
    /// Basisadresse des Gateways für den HTTP-Teil (Anmeldung mit den
    /// Demo-Zugängen aus DATA_DIR/demo-zugaenge.txt).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub http: String,
    /// Anzahl gleichzeitiger Clients.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Runden je Client (jede Runde: sechs Schreibvorgänge und eine Abfrage);
    /// ohne Angabe dauert der Lauf --seconds.
    #[arg(long)]
    pub rounds: Option<u64>,
    /// Dauer jedes Teils in Sekunden, wenn --rounds nicht angegeben ist.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Worüber belastet wird: nats, http oder both (beides nacheinander).
    #[arg(long, value_enum, default_value_t = Over::Both)]
    pub over: Over,
    /// Die Gemeinden (AGS, durch Kommas getrennt), die in den Runden die
    /// Einführung beantragen, reihum je Client; eine Gemeinde außerhalb
    /// Thüringens lässt ihr Land dem Dienst beitreten. Voreinstellung:
    /// Erfurt aus der Demo. Für einen Bestand aus `efa generate` Gemeinden,
    /// die er enthält; über HTTP braucht jede einen Zugang in
    /// DATA_DIR/demo-zugaenge.txt.
    #[arg(long, value_delimiter = ',', default_value = DEMO_AGS, value_parser = parse_ags)]
    pub gemeinden: Vec<Ags>,
}

/// The kinds of operation a round does, for the histograms.
const KINDS: [&str; 6] = [
    "Ankündigung",
    "Beitritt",
    "Einführung (Antrag, Schritte)",
    "Kostenmeldung",
    "Abfrage (read-your-writes)",
    "alle Schreibvorgänge",
];
const ANNOUNCE: usize = 0;
const JOIN: usize = 1;
const ADOPTION: usize = 2;
const COST: usize = 3;
const QUERY: usize = 4;
const WRITES: usize = 5;

/// The Land that announces every service and reports its costs.
const LEAD: &str = "land:16";
const LEAD_CODE: u8 = 16;
/// The Land that joins when the adopting municipality lies in the lead's.
const JOINER_BESIDE_LEAD: u8 = 4;
/// Erfurt, a municipality of the demo.
const DEMO_AGS: &str = "16051000";

/// Who acts in one client's rounds besides the lead Land: `joiner` joins
/// the service, `gemeinde` requests its adoption and records two steps.
/// The municipality lies in the lead's Land or the joiner's, so that the
/// request is one the registry takes.
#[derive(Debug, Clone, Copy)]
struct Cast {
    joiner: LandCode,
    gemeinde: Ags,
}

impl Cast {
    fn of(gemeinde: Ags) -> Result<Self> {
        let joiner = if gemeinde.land().get() == LEAD_CODE {
            LandCode::new(JOINER_BESIDE_LEAD).map_err(|e| anyhow::anyhow!("{e}"))?
        } else {
            gemeinde.land()
        };
        Ok(Self { joiner, gemeinde })
    }

    fn joiner_actor(&self) -> String {
        Actor::Land(self.joiner).to_string()
    }

    fn gemeinde_actor(&self) -> String {
        Actor::Gemeinde(self.gemeinde).to_string()
    }

    /// The casts of `args`' municipalities, one per client in turn.
    fn all(args: &BenchArgs) -> Result<Vec<Cast>> {
        if args.gemeinden.is_empty() {
            bail!("--gemeinden nennt keine Gemeinde");
        }
        args.gemeinden.iter().map(|ags| Cast::of(*ags)).collect()
    }
}

/// Reads an AGS from the command line.
fn parse_ags(text: &str) -> Result<Ags, String> {
    Ags::parse(text.trim()).map_err(|e| e.to_string())
}

/// Latencies and counts of one part of the run.
struct Tally {
    histograms: Vec<Histogram<u64>>,
    refused: BTreeMap<String, u64>,
    writes: u64,
    elapsed: Duration,
}

impl Tally {
    fn new() -> Result<Self> {
        let histograms = KINDS
            .iter()
            .map(|_| Histogram::new_with_bounds(1, 120_000_000, 3))
            .collect::<Result<_, _>>()
            .context("Histogramm anlegen")?;
        Ok(Self {
            histograms,
            refused: BTreeMap::new(),
            writes: 0,
            elapsed: Duration::ZERO,
        })
    }

    fn record(&mut self, kind: usize, took: Duration) {
        let micros = (took.as_micros() as u64).max(1);
        let _ = self.histograms[kind].record(micros);
        if kind != QUERY {
            let _ = self.histograms[WRITES].record(micros);
            self.writes += 1;
        }
    }

    fn refuse(&mut self, why: String) {
        *self.refused.entry(why).or_default() += 1;
    }

    fn merge(&mut self, other: Tally) {
        for (mine, theirs) in self.histograms.iter_mut().zip(&other.histograms) {
            let _ = mine.add(theirs);
        }
        for (why, count) in other.refused {
            *self.refused.entry(why).or_default() += count;
        }
        self.writes += other.writes;
    }

    fn writes_per_second(&self) -> f64 {
        self.writes as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// When each client stops.
#[derive(Debug, Clone, Copy)]
enum Until {
    Rounds(u64),
    Time(Instant),
}

impl Until {
    fn go_on(&self, round: u64) -> bool {
        match self {
            Until::Rounds(rounds) => round < *rounds,
            Until::Time(end) => Instant::now() < *end,
        }
    }

    fn of(args: &BenchArgs) -> Self {
        match args.rounds {
            Some(rounds) => Until::Rounds(rounds),
            None => Until::Time(Instant::now() + Duration::from_secs(args.seconds)),
        }
    }
}

pub async fn run(args: BenchArgs) -> Result<()> {
    let data_dir = args.connection.data_dir.clone();
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    println!(
        "efa bench: {} Clients, {}, Lauf {run_id}",
        args.clients,
        match args.rounds {
            Some(rounds) => format!("{rounds} Runden je Client"),
            None => format!("{} s je Teil", args.seconds),
        }
    );
    let noop = noop_baseline(&args).await?;
    println!(
        "no-op NATS responder (eigener nats-server), {} Clients: {:.0} Anfragen/s, p50 {}",
        args.clients,
        noop.rate,
        micros(noop.histogram.value_at_quantile(0.5))
    );
    let mut nats_rate = None;
    if args.over != Over::Http {
        let client = args.connection.connect("efa-bench").await?;
        // The gateway's key as `efa up` created it; the bench creates and
        // trusts no key of its own.
        let key_path = efa_trust::secrets_dir(&data_dir).join(crate::signers::GATEWAY_KEY_FILE);
        let key = Arc::new(efa_trust::SigningKey::load(&key_path).with_context(|| {
            format!(
                "den Signierschlüssel des Gateways {} laden",
                key_path.display()
            )
        })?);
        let tally = drive(&args, &run_id, "n", |_| {
            let (client, key) = (client.clone(), key.clone());
            NatsClient { client, key }
        })
        .await?;
        report("NATS", &tally, noop.rate, None);
        nats_rate = Some(tally.writes_per_second());
    }
    if args.over != Over::Nats {
        let tokens = demo_tokens(&data_dir, &Cast::all(&args)?)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(args.clients)
            .build()
            .context("HTTP-Client anlegen")?;
        let counter = Arc::new(AtomicU64::new(0));
        let tally = drive(&args, &run_id, "h", |_| HttpClient {
            http: http.clone(),
            base: args.http.trim_end_matches('/').to_owned(),
            tokens: tokens.clone(),
            counter: counter.clone(),
        })
        .await?;
        report("HTTP (Gateway)", &tally, noop.rate, nats_rate);
    }
    Ok(())
}

/// One transport's way to send a command and a query.
trait Transport: Send + 'static {
    /// A command as `actor`; the last sequence it wrote, or why not.
    fn command(
        &self,
        actor: &str,
        command: Command,
    ) -> impl std::future::Future<Output = Result<u64, String>> + Send;
    /// The service's detail from a view that has applied `min_seq`.
    fn query(
        &self,
        service: &ServiceId,
        min_seq: u64,
    ) -> impl std::future::Future<Output = Result<(), String>> + Send;
}

/// Runs `args.clients` clients, each with its own transport, until the
/// end, and adds up what they measured.
async fn drive<T: Transport, F: Fn(usize) -> T>(
    args: &BenchArgs,
    run_id: &str,
    part: &str,
    make: F,
) -> Result<Tally> {
    let until = Until::of(args);
    let casts = Cast::all(args)?;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..args.clients {
        let transport = make(n);
        let prefix = format!("last-{run_id}-{part}{n}");
        let cast = casts[n % casts.len()];
        tasks.spawn(async move { client(transport, prefix, cast, until).await });
    }
    let mut tally = Tally::new()?;
    while let Some(done) = tasks.join_next().await {
        tally.merge(done.context("Lastclient ist abgestürzt")??);
    }
    tally.elapsed = started.elapsed();
    Ok(tally)
}

/// One client's rounds.
async fn client<T: Transport>(
    transport: T,
    prefix: String,
    cast: Cast,
    until: Until,
) -> Result<Tally> {
    let (joiner, gemeinde) = (cast.joiner_actor(), cast.gemeinde_actor());
    let ags = cast.gemeinde;
    let mut tally = Tally::new()?;
    let mut round = 0;
    while until.go_on(round) {
        let service = ServiceId::parse(&format!("{prefix}-{round}"))
            .map_err(|e| anyhow::anyhow!("Kennung eines Lasttest-Dienstes: {e}"))?;
        round += 1;
        let steps: [(usize, &str, Command); 6] = [
            (ANNOUNCE, LEAD, announce(&service)?),
            (
                JOIN,
                &joiner,
                Command::JoinService(JoinService {
                    service: service.clone(),
                    land: cast.joiner,
                }),
            ),
            (
                ADOPTION,
                &gemeinde,
                Command::RequestAdoption(RequestAdoption {
                    service: service.clone(),
                    ags,
                    note: String::new(),
                }),
            ),
            (
                ADOPTION,
                &gemeinde,
                step(&service, ags, AdoptionStage::Agreed),
            ),
            (
                ADOPTION,
                &gemeinde,
                step(&service, ags, AdoptionStage::Onboarding),
            ),
            (
                COST,
                LEAD,
                Command::ReportCost(ReportCost {
                    service: service.clone(),
                    year: 2025,
                    category: CostCategory::Development,
                    amount: Cents(123_456),
                    note: String::new(),
                }),
            ),
        ];
        let mut last_seq = 0;
        for (kind, actor, command) in steps {
            let sent = Instant::now();
            match transport.command(actor, command).await {
                Ok(seq) => {
                    tally.record(kind, sent.elapsed());
                    last_seq = last_seq.max(seq);
                }
                Err(why) => tally.refuse(why),
            }
        }
        let sent = Instant::now();
        match transport.query(&service, last_seq).await {
            Ok(()) => tally.record(QUERY, sent.elapsed()),
            Err(why) => tally.refuse(why),
        }
    }
    Ok(tally)
}

fn announce(service: &ServiceId) -> Result<Command> {
    let invalid = |e: &dyn std::fmt::Display| anyhow::anyhow!("{e}");
    Ok(Command::AnnounceService(AnnounceService {
        service: service.clone(),
        title: format!("Lasttest {service}"),
        lead: LandCode::new(LEAD_CODE).map_err(|e| invalid(&e))?,
        ozg_id: None,
        leika: vec![],
        themenfeld: "Lasttest".into(),
        provider: "Lasttest".into(),
        channel: Channel::EfaMarktplatz,
        cost_model: CostModel::EqualShares,
        status: ServiceStatus::Planned,
        reifegrad: Reifegrad::new(0).map_err(|e| invalid(&e))?,
    }))
}

fn step(service: &ServiceId, ags: Ags, stage: AdoptionStage) -> Command {
    Command::RecordAdoptionStep(RecordAdoptionStep {
        service: service.clone(),
        ags,
        stage,
        note: String::new(),
    })
}

/// Signed commands and queries over NATS, as the gateway sends them.
struct NatsClient {
    client: async_nats::Client,
    key: Arc<efa_trust::SigningKey>,
}

const TIMEOUT: Duration = Duration::from_secs(30);

impl Transport for NatsClient {
    async fn command(&self, actor: &str, command: Command) -> Result<u64, String> {
        let envelope = CommandEnvelope {
            command_id: CommandId(*uuid::Uuid::new_v4().as_bytes()),
            actor: Actor::parse(actor).map_err(|e| e.to_string())?,
            expected_version: None,
            effective: None,
            command,
        };
        let signed = efa_trust::sign_command(&self.key, &envelope);
        let reply: CommandReply =
            efa_runtime::request(&self.client, subjects::COMMAND, &signed, TIMEOUT)
                .await
                .map_err(|e| format!("NATS: {e}"))?;
        match reply {
            CommandReply::Accepted(accepted) => Ok(accepted.last_seq),
            CommandReply::Rejected(rejection) => {
                Err(format!("abgelehnt: {}", rejection.message_de()))
            }
        }
    }

    async fn query(&self, service: &ServiceId, min_seq: u64) -> Result<(), String> {
        let query = Query {
            min_seq,
            kind: QueryKind::ServiceDetail {
                service: service.clone(),
                as_of: None,
            },
        };
        let reply: QueryReply =
            efa_runtime::request(&self.client, subjects::QUERY, &query, TIMEOUT)
                .await
                .map_err(|e| format!("NATS: {e}"))?;
        match reply {
            QueryReply::Rejected(rejection) => {
                Err(format!("Abfrage abgelehnt: {}", rejection.message_de()))
            }
            _ => Ok(()),
        }
    }
}

/// The same work through the gateway's API.
struct HttpClient {
    http: reqwest::Client,
    base: String,
    tokens: Arc<BTreeMap<String, String>>,
    counter: Arc<AtomicU64>,
}

impl Transport for HttpClient {
    async fn command(&self, actor: &str, command: Command) -> Result<u64, String> {
        let (path, body) = http_write(&command)?;
        let token = self
            .tokens
            .get(actor)
            .ok_or_else(|| format!("kein Demo-Zugang für {actor}"))?;
        let key = format!(
            "bench-{}-{}",
            std::process::id(),
            self.counter.fetch_add(1, Ordering::Relaxed)
        );
        let answer = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("HTTP: {e}"))?;
        let status = answer.status();
        let text = answer.text().await.map_err(|e| format!("HTTP: {e}"))?;
        if !status.is_success() {
            return Err(format!("HTTP {}", status.as_u16()));
        }
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("JSON: {e}"))?;
        Ok(value.get("seq").and_then(Value::as_u64).unwrap_or(0))
    }

    async fn query(&self, service: &ServiceId, min_seq: u64) -> Result<(), String> {
        let token = self.tokens.get(LEAD).ok_or("kein Demo-Zugang")?;
        let answer = self
            .http
            .get(format!(
                "{}/api/v1/services/{service}/detail?min_seq={min_seq}",
                self.base
            ))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| format!("HTTP: {e}"))?;
        let status = answer.status();
        let _ = answer.bytes().await;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("HTTP {} (Abfrage)", status.as_u16()))
        }
    }
}

/// The API path and JSON body of the round's commands.
fn http_write(command: &Command) -> Result<(String, Value), String> {
    Ok(match command {
        Command::AnnounceService(c) => (
            "/api/v1/services".into(),
            json!({
                "id": c.service.as_str(),
                "title": c.title,
                "lead": "16",
                "themenfeld": c.themenfeld,
                "provider": c.provider,
                "channel": "efa-marktplatz",
                "cost_model": {"kind": "equal-shares"},
            }),
        ),
        Command::JoinService(c) => (
            format!("/api/v1/services/{}/participations", c.service),
            json!({"land": c.land.to_string()}),
        ),
        Command::RequestAdoption(c) => (
            "/api/v1/adoptions".into(),
            json!({"service": c.service.as_str(), "ags": c.ags.to_string()}),
        ),
        Command::RecordAdoptionStep(c) => (
            format!("/api/v1/adoptions/{}/{}/steps", c.service, c.ags),
            json!({"stage": c.stage.key()}),
        ),
        Command::ReportCost(c) => (
            format!("/api/v1/services/{}/costs", c.service),
            json!({"year": c.year, "category": "development", "amount": "1234,56"}),
        ),
        other => return Err(format!("nicht im Lasttest: {}", other.name())),
    })
}

/// The demo logins `efa up` wrote: principal to token; each principal
/// that `casts` need must have one.
fn demo_tokens(data_dir: &Path, casts: &[Cast]) -> Result<Arc<BTreeMap<String, String>>> {
    let path: PathBuf = crate::tokens::demo_logins_path(data_dir);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{} lesen (die Demo-Zugänge, die efa up beim ersten Start schreibt)",
            path.display()
        )
    })?;
    let tokens: BTreeMap<String, String> = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let principal = fields.next()?;
            let token = fields.nth(1)?;
            Some((principal.to_owned(), token.to_owned()))
        })
        .collect();
    let needed = casts
        .iter()
        .flat_map(|cast| [cast.joiner_actor(), cast.gemeinde_actor()])
        .chain([LEAD.to_owned()]);
    for principal in needed {
        if !tokens.contains_key(&principal) {
            bail!("{} enthält keinen Zugang für {principal}", path.display());
        }
    }
    Ok(Arc::new(tokens))
}

/// What the no-op responder answered.
struct Baseline {
    rate: f64,
    histogram: Histogram<u64>,
}

/// The no-op baseline: a nats-server of its own (the same binary `efa up`
/// starts), a responder answering at once with a command reply's bytes,
/// and `clients` requesters sending a signed command's bytes, for as long
/// as one part of the run.
async fn noop_baseline(args: &BenchArgs) -> Result<Baseline> {
    let store_dir = std::env::temp_dir().join(format!("efa-bench-noop-{}", std::process::id()));
    let binary = efa_runtime::nats_server::locate().context("nats-server suchen")?;
    let mut server = efa_runtime::nats_server::NatsServerProcess::spawn(
        &binary,
        &efa_runtime::nats_server::ServerOptions {
            port: 0,
            store_dir: store_dir.clone(),
            config_file: None,
            log_file: None,
            pid_file: None,
        },
    )
    .context("nats-server für den no-op-Responder starten")?;
    let result = noop_requests(&server.url(), args).await;
    let _ = server.terminate(Duration::from_secs(5));
    let _ = std::fs::remove_dir_all(&store_dir);
    result
}

async fn noop_requests(url: &str, args: &BenchArgs) -> Result<Baseline> {
    use futures::StreamExt;
    let responder = async_nats::connect(url)
        .await
        .context("mit NATS verbinden")?;
    let client = async_nats::connect(url)
        .await
        .context("mit NATS verbinden")?;
    let mut requests = responder.subscribe("bench.noop").await?;
    responder.flush().await?;
    let answer: bytes::Bytes = encode(&CommandReply::Accepted(Accepted {
        first_seq: 1,
        last_seq: 1,
        stream_version: 1,
        replayed: false,
    }))
    .into();
    let serving = tokio::spawn(async move {
        while let Some(request) = requests.next().await {
            if let Some(reply) = request.reply {
                let _ = responder.publish(reply, answer.clone()).await;
            }
        }
    });
    let key = efa_trust::SigningKey::generate("bench").context("Schlüssel erzeugen")?;
    let payload: bytes::Bytes = encode(&efa_trust::sign_command(
        &key,
        &CommandEnvelope {
            command_id: CommandId([7; 16]),
            actor: Actor::parse(LEAD).map_err(|e| anyhow::anyhow!("{e}"))?,
            expected_version: None,
            effective: None,
            command: announce(&ServiceId::parse("last-noop").map_err(|e| anyhow::anyhow!("{e}"))?)?,
        },
    ))
    .into();
    wait_for_the_responder(&client, &payload).await?;
    // Six requests per round, as the writes of a round.
    let until = match args.rounds {
        Some(rounds) => Until::Rounds(rounds * 6),
        None => Until::Time(Instant::now() + Duration::from_secs(args.seconds)),
    };
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.clients {
        let (client, payload) = (client.clone(), payload.clone());
        tasks.spawn(async move {
            let mut histogram = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?;
            let mut sent_count = 0;
            while until.go_on(sent_count) {
                let sent = Instant::now();
                client.request("bench.noop", payload.clone()).await?;
                histogram.record((sent.elapsed().as_micros() as u64).max(1))?;
                sent_count += 1;
            }
            anyhow::Ok(histogram)
        });
    }
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3)?;
    while let Some(done) = tasks.join_next().await {
        histogram.add(done??)?;
    }
    let rate = histogram.len() as f64 / started.elapsed().as_secs_f64();
    serving.abort();
    Ok(Baseline { rate, histogram })
}

/// Asks the no-op responder until it answers (bounded): on a loaded
/// machine the first request was once seen to find no responder although
/// the subscription had been flushed.
async fn wait_for_the_responder(client: &async_nats::Client, payload: &bytes::Bytes) -> Result<()> {
    let mut attempts = 0;
    loop {
        match client.request("bench.noop", payload.clone()).await {
            Ok(_) => return Ok(()),
            Err(error) if attempts < 50 => {
                tracing::debug!(%error, "the no-op responder does not answer yet");
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => return Err(error).context("der no-op-Responder antwortet nicht"),
        }
    }
}

fn micros(value: u64) -> String {
    format!("{:.2} ms", value as f64 / 1000.0)
}

fn report(what: &str, tally: &Tally, noop_rate: f64, nats_rate: Option<f64>) {
    let rate = tally.writes_per_second();
    println!();
    println!(
        "{what}: {} Schreibvorgänge in {:.1} s = {:.0}/s ({:.2} des no-op-Responders{})",
        tally.writes,
        tally.elapsed.as_secs_f64(),
        rate,
        rate / noop_rate,
        nats_rate
            .map(|nats| format!(", {:.2} von NATS", rate / nats))
            .unwrap_or_default()
    );
    println!(
        "{:<32} {:>9} {:>10} {:>10} {:>10} {:>10}",
        "Vorgang", "Anzahl", "p50", "p90", "p99", "max"
    );
    for (kind, histogram) in KINDS.iter().zip(&tally.histograms) {
        if histogram.is_empty() {
            continue;
        }
        println!(
            "{:<32} {:>9} {:>10} {:>10} {:>10} {:>10}",
            kind,
            histogram.len(),
            micros(histogram.value_at_quantile(0.5)),
            micros(histogram.value_at_quantile(0.9)),
            micros(histogram.value_at_quantile(0.99)),
            micros(histogram.max()),
        );
    }
    println!(
        "Projektionsverzug: die Abfrage mit min_seq = letzte bestätigte Sequenz wartet, bis die Sicht sie enthält (Zeile „Abfrage“ oben, eine Anfrage eingeschlossen)."
    );
    for line in refusal_lines(&tally.refused) {
        println!("{line}");
    }
}

/// A line for each kind of answer that refused a request, counted, and
/// where the gateway's rate limit refused some, what to do about it.
fn refusal_lines(refused: &BTreeMap<String, u64>) -> Vec<String> {
    let mut lines: Vec<String> = refused
        .iter()
        .map(|(why, count)| format!("nicht ausgeführt: {count} × {why}"))
        .collect();
    if refused.keys().any(|why| why.starts_with("HTTP 429")) {
        lines.push(rate_limited_hint());
    }
    lines
}

/// Said under a report with 429 answers: the gateway limits requests per
/// client address, and the bench's clients share one address.
fn rate_limited_hint() -> String {
    format!(
        "Hinweis: HTTP 429 kommt von der Ratenbegrenzung des Gateways je Client-Adresse \
         (Voreinstellung: {} Anfragen je 10 s); alle Clients dieser Messung teilen eine Adresse. \
         Für eine Lastmessung das Gateway mit höherer Grenze starten, z. B. `efa up \
         --api-rate-limit 10000000`. Ein 404 oder 409 folgt daraus, wenn der Schritt sich auf \
         eine abgewiesene Ankündigung bezieht.",
        efa_gateway::API_REQUESTS_PER_10S
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_by_the_rate_limit_come_with_what_to_do() {
        let mut refused = BTreeMap::new();
        refused.insert("HTTP 404".to_owned(), 3);
        assert_eq!(
            refusal_lines(&refused),
            vec!["nicht ausgeführt: 3 × HTTP 404".to_owned()]
        );
        refused.insert("HTTP 429 (Abfrage)".to_owned(), 7);
        let lines = refusal_lines(&refused);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1], "nicht ausgeführt: 7 × HTTP 429 (Abfrage)");
        assert!(lines[2].contains("--api-rate-limit"), "{lines:?}");
        assert!(refusal_lines(&BTreeMap::new()).is_empty());
    }
}
