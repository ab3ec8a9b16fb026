//! Stopping long-running commands cleanly: `poll --watch`, `run` and `serve` finish the
//! work in hand when asked.

/// Resolves at the first SIGTERM or SIGINT (Ctrl-C).
pub async fn stop_requested() {
    use tokio::signal::unix::{signal, Signal, SignalKind};
    async fn first(s: Option<&mut Signal>) {
        match s {
            Some(s) => {
                s.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    }
    let mut term = signal(SignalKind::terminate()).ok();
    let mut int = signal(SignalKind::interrupt()).ok();
    tokio::select! {
        _ = first(term.as_mut()) => {}
        _ = first(int.as_mut()) => {}
    }
}
