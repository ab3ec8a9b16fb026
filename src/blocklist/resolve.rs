//! The resolver (hickory, on tokio): the system one from /etc/resolv.conf or a given
//! `IP:PORT`, queries in parallel, each with its own timeout, and the failures told apart
//! (NXDOMAIN = not listed; timeout; SERVFAIL; anything else an error).

use super::{query, Check, Selected, Status, Target};
use futures_util::stream::{self, StreamExt};
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::TokioResolver;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// How to query.
#[derive(Debug, Clone)]
pub struct Options {
    /// `None`: the system resolver (/etc/resolv.conf).
    pub resolver: Option<SocketAddr>,
    /// Per query (the A query and the TXT query each get this much).
    pub timeout: Duration,
    /// Queries in flight at once.
    pub concurrency: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            resolver: None,
            timeout: Duration::from_secs(3),
            concurrency: 16,
        }
    }
}

/// The resolver could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("cannot use the system resolver (/etc/resolv.conf): {0}; give one with --resolver IP:PORT or [blocklist] resolver")]
    System(String),
    #[error("cannot set up the resolver {addr}: {msg}")]
    Build { addr: String, msg: String },
}

/// A configured resolver.
pub struct Checker {
    resolver: TokioResolver,
    opts: Options,
}

/// How one lookup ended.
enum Answer<T> {
    Records(Vec<T>),
    Failed(Status, String),
}

impl Checker {
    /// Must be called inside a tokio runtime (the resolver spawns its connections there).
    pub fn new(opts: Options) -> Result<Checker, ResolveError> {
        let provider = TokioRuntimeProvider::default();
        let (mut builder, addr) = match opts.resolver {
            Some(sa) => {
                let mut udp = ConnectionConfig::udp();
                udp.port = sa.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = sa.port();
                let ns = NameServerConfig::new(sa.ip(), true, vec![udp, tcp]);
                let config = ResolverConfig::from_name_servers(vec![ns]);
                (
                    TokioResolver::builder_with_config(config, provider),
                    sa.to_string(),
                )
            }
            None => (
                TokioResolver::builder(provider)
                    .map_err(|e| ResolveError::System(e.to_string()))?,
                "(system)".to_string(),
            ),
        };
        let o = builder.options_mut();
        o.timeout = opts.timeout;
        // One try per query: our own timeout bounds it, and a list that does not answer
        // in time is reported as such rather than retried into a long wait.
        o.attempts = 1;
        let resolver = builder.build().map_err(|e| ResolveError::Build {
            addr,
            msg: e.to_string(),
        })?;
        Ok(Checker { resolver, opts })
    }

    /// Queries every pair, `concurrency` at a time; results in the order of `pairs`.
    pub async fn check(&self, pairs: &[(&Target, &Selected)]) -> Vec<Check> {
        stream::iter(pairs.iter().map(|(t, l)| self.one(t, l)))
            .buffered(self.opts.concurrency.max(1))
            .collect()
            .await
    }

    async fn one(&self, target: &Target, sel: &Selected) -> Check {
        let list = sel.def;
        let name = query::name(target, &sel.zone);
        // A configured zone may carry a key (Spamhaus DQS): shown by its setting's name.
        let shown = if sel.zone == list.zone {
            name.trim_end_matches('.').to_string()
        } else {
            format!(
                "{}.[zones.{}]",
                query::name(target, "").trim_end_matches('.'),
                list.name
            )
        };
        let mut check = Check {
            target: target.to_string(),
            list: list.name,
            zone: list.zone,
            query: shown,
            status: Status::Error,
            codes: Vec::new(),
            txt: Vec::new(),
            removal: None,
            detail: None,
        };
        match self.a_records(&name).await {
            Answer::Failed(status, why) => {
                check.status = status;
                check.detail = Some(why);
            }
            Answer::Records(addrs) => {
                let (status, codes, note) = query::decode(list, &addrs);
                check.status = status;
                check.codes = codes;
                check.detail = note;
                if status == Status::Listed {
                    check.removal = Some(list.removal);
                }
                if status != Status::NotListed {
                    // The list's own words; a failed TXT query leaves the A answer standing.
                    if let Answer::Records(txt) = self.txt_records(&name).await {
                        check.txt = txt;
                    }
                }
            }
        }
        check
    }

    async fn lookup(
        &self,
        name: &str,
        rtype: hickory_resolver::proto::rr::RecordType,
    ) -> Answer<RData> {
        let fut = self.resolver.lookup(name, rtype);
        match tokio::time::timeout(self.opts.timeout, fut).await {
            Err(_) => Answer::Failed(
                Status::Timeout,
                format!("no answer within {:.1} s", self.opts.timeout.as_secs_f64()),
            ),
            Ok(Ok(lookup)) => {
                Answer::Records(lookup.answers().iter().map(|r| r.data.clone()).collect())
            }
            Ok(Err(e)) => failure(&e),
        }
    }

    async fn a_records(&self, name: &str) -> Answer<Ipv4Addr> {
        match self
            .lookup(name, hickory_resolver::proto::rr::RecordType::A)
            .await
        {
            Answer::Failed(s, w) => Answer::Failed(s, w),
            Answer::Records(r) => Answer::Records(
                r.into_iter()
                    .filter_map(|d| match d {
                        RData::A(a) => Some(a.0),
                        _ => None,
                    })
                    .collect(),
            ),
        }
    }

    async fn txt_records(&self, name: &str) -> Answer<String> {
        match self
            .lookup(name, hickory_resolver::proto::rr::RecordType::TXT)
            .await
        {
            Answer::Failed(s, w) => Answer::Failed(s, w),
            Answer::Records(r) => Answer::Records(
                r.into_iter()
                    .filter_map(|d| match d {
                        RData::TXT(t) => Some(
                            t.txt_data
                                .iter()
                                .map(|s| String::from_utf8_lossy(s).into_owned())
                                .collect::<String>(),
                        ),
                        _ => None,
                    })
                    .collect(),
            ),
        }
    }

    /// The addresses of a host name (the relay of `[send] server`), IPv4 and IPv6.
    pub async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, String> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let fqdn = format!("{}.", host.trim_end_matches('.'));
        let fut = self.resolver.lookup_ip(fqdn.as_str());
        match tokio::time::timeout(self.opts.timeout, fut).await {
            Err(_) => Err(format!("resolving '{host}': no answer within the timeout")),
            Ok(Err(e)) => Err(format!("resolving '{host}': {e}")),
            Ok(Ok(l)) => Ok(l.iter().collect()),
        }
    }
}

/// NXDOMAIN and an empty answer mean "not listed" (RFC 5782 section 2.1); SERVFAIL and
/// the rest are failures that say nothing about the listing.
fn failure<T>(e: &NetError) -> Answer<T> {
    match e {
        NetError::Dns(DnsError::NoRecordsFound(nr)) => match nr.response_code {
            ResponseCode::NXDomain | ResponseCode::NoError => Answer::Records(Vec::new()),
            ResponseCode::ServFail => {
                Answer::Failed(Status::Servfail, "the resolver answered SERVFAIL".into())
            }
            rc => Answer::Failed(Status::Error, format!("the resolver answered {rc}")),
        },
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => {
            Answer::Failed(Status::Servfail, "the resolver answered SERVFAIL".into())
        }
        NetError::Dns(DnsError::ResponseCode(rc)) => {
            Answer::Failed(Status::Error, format!("the resolver answered {rc}"))
        }
        NetError::Timeout => Answer::Failed(Status::Timeout, "the query timed out".into()),
        other => Answer::Failed(Status::Error, other.to_string()),
    }
}
