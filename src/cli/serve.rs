//! `rebound serve`: take provider webhooks into the store and answer the read API.

use anyhow::{Context, Result};
use rebound::correlate::Correlator;
use rebound::hygiene::Policy;
use rebound::poll::process::Pipeline;
use rebound::serve::{self, Settings};
use rebound::store::Store;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

/// Receive delivery events from email providers over HTTP, and answer a small read API.
///
/// Routes: POST /webhooks/mailgun, /webhooks/postmark, /webhooks/sendgrid (each event
/// becomes a fact by the same reason rules, correlation and policy as a polled bounce;
/// answered 2xx only once committed; a replayed event ID changes nothing; unsigned,
/// forged or stale requests get 401). With the bearer token: GET /api/suppressions,
/// /api/suppressions/{address}, /api/campaigns/{name}/report. Without: /healthz, /metrics.
///
/// Configured in rebound.toml [serve] (listen, token_env/token_file, and one section per
/// provider: [serve.mailgun] env/file of the signing key, [serve.sendgrid] env/file of the
/// verification key, [serve.postmark] user + password_env and/or header + header_env).
/// Stops cleanly on SIGTERM or Ctrl-C.
///
/// Examples:
///   rebound serve
///   rebound serve --listen 127.0.0.1:9025 --db /var/lib/rebound/rebound.db
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// IP:PORT to listen on (default: [serve] listen, else 127.0.0.1:8025).
    #[arg(long, value_name = "IP:PORT")]
    listen: Option<String>,
    /// The store.
    #[arg(long, default_value = "rebound.db")]
    db: PathBuf,
    /// Hygiene policy file (default: the built-in policy).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Configuration file (read when present).
    #[arg(long, default_value = "rebound.toml")]
    config: PathBuf,
}

/// SIGTERM or SIGINT: requests under way finish, then the server stops.
async fn shutdown_signal() {
    super::signals::stop_requested().await;
    tracing::info!("stopping: finishing requests under way");
}

pub fn run(args: Args) -> Result<ExitCode> {
    let file = super::config::load(&args.config, false)?;
    let settings =
        Settings::new(&file.serve, args.listen.as_deref()).map_err(anyhow::Error::msg)?;
    let policy = Policy::load(args.policy.as_deref())?;
    let mut store = Store::open(&args.db)?;
    let pipeline = Pipeline {
        correlator: Correlator {
            secret: store.verp_secret()?,
            window_days: policy.window_days,
        },
        policy,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("listening on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        let providers: Vec<&str> = [
            ("mailgun", settings.mailgun.is_some()),
            ("postmark", settings.postmark.is_some()),
            ("sendgrid", settings.sendgrid.is_some()),
        ]
        .into_iter()
        .filter_map(|(n, on)| on.then_some(n))
        .collect();
        eprintln!(
            "rebound serve: listening on http://{addr} (webhooks: {}; read API: {})",
            if providers.is_empty() {
                "none configured".to_string()
            } else {
                providers.join(", ")
            },
            if settings.token.is_some() {
                "open with the token"
            } else {
                "closed, no token"
            }
        );
        let state = Arc::new(serve::State {
            settings,
            store: Mutex::new(store),
            pipeline,
            silence: file.silence,
            metrics: serve::Metrics::default(),
        });
        serve::run(listener, state, shutdown_signal())
            .await
            .context("serving")
    })?;
    eprintln!("rebound serve: stopped");
    Ok(ExitCode::SUCCESS)
}
