//! rebound: decode bounce messages (DSNs, MTA reports, complaints, auto-replies) into facts,
//! and the pieces of the pipeline built on them.

pub mod address;
pub mod blocklist;
pub mod clean;
pub mod configfile;
pub mod correlate;
pub mod csvcell;
pub mod csvrows;
pub mod decode;
pub mod eval;
pub mod hygiene;
pub mod importlist;
pub mod listfiles;
pub mod mailfiles;
pub mod oauth;
pub mod outfile;
pub mod poll;
pub mod report;
pub mod send;
pub mod serve;
pub mod store;
pub mod tlsconfig;
pub mod verp;

pub use decode::{decode, Action, Blocklist, Bounce, Evidence, Keys, Reason, Report};
