//! Schema migrations, applied in order; `PRAGMA user_version` records how far a database is.

use rusqlite::Connection;

/// Each entry upgrades the schema by one version. Never edit a released entry: add one.
const MIGRATIONS: &[&str] = &[
    // 1: campaigns and their recipients, with the per-recipient send state.
    "CREATE TABLE campaigns (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),
        message_sha256 TEXT NOT NULL,
        from_addr TEXT NOT NULL
    );
    CREATE TABLE recipients (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        email TEXT NOT NULL,
        fields TEXT NOT NULL,
        line INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        reply TEXT,
        reply_code INTEGER,
        receipt_id TEXT,
        message_id TEXT,
        envelope_id TEXT,
        verp_token TEXT,
        reason TEXT,
        hard INTEGER,
        updated_at TEXT,
        UNIQUE (campaign_id, email)
    );
    CREATE INDEX recipients_state ON recipients(campaign_id, state);
    CREATE INDEX recipients_message_id ON recipients(message_id);
    CREATE INDEX recipients_envelope_id ON recipients(envelope_id);
    CREATE INDEX recipients_receipt ON recipients(receipt_id);
    CREATE TABLE suppressions (
        email TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        source TEXT NOT NULL,
        evidence TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
    );",
    // 2: settings of this database, e.g. the VERP secret made at first use.
    "CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value BLOB NOT NULL
    );",
    // 3: what poll read: each message once (Message-ID + SHA-256 of its bytes), one row
    // per fact with the key that tied it to a send and the policy's verdict, and the
    // per-folder checkpoints.
    "CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        account TEXT NOT NULL,
        folder TEXT NOT NULL,
        uid INTEGER,
        outcome TEXT NOT NULL,
        error TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        UNIQUE (message_id, sha256)
    );
    CREATE TABLE facts (
        id INTEGER PRIMARY KEY,
        message_row INTEGER REFERENCES messages(id),
        email TEXT,
        matched_by TEXT NOT NULL,
        campaign_id INTEGER REFERENCES campaigns(id),
        recipient_id INTEGER REFERENCES recipients(id),
        action TEXT,
        reason TEXT NOT NULL,
        hard INTEGER NOT NULL,
        status TEXT,
        diagnostic TEXT,
        feedback_type TEXT,
        blocklist TEXT,
        listed_ip TEXT,
        evidence TEXT NOT NULL,
        verdict TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
    );
    CREATE INDEX facts_email ON facts(email, created_at);
    CREATE INDEX facts_recipient ON facts(recipient_id);
    CREATE UNIQUE INDEX facts_sync_once ON facts(recipient_id) WHERE matched_by = 'sync';
    CREATE TABLE poll_checkpoints (
        account TEXT NOT NULL,
        folder TEXT NOT NULL,
        uidvalidity INTEGER NOT NULL,
        last_uid INTEGER NOT NULL,
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),
        PRIMARY KEY (account, folder)
    );
    CREATE INDEX recipients_email ON recipients(email);",
    // 4: the remote MTA that gave each answer, for the report's breakdown by remote host.
    "ALTER TABLE facts ADD COLUMN remote_mta TEXT;",
    // 5: smaller commits per sent message. The identifiers are planted before sending,
    // so a send only changes the state and then the reply; the lookup indexes skip the
    // rows that have no value yet (an update then touches one index page, not two), and
    // the churning (campaign, state) index gives way to one over refusals only, which
    // poll's import of RCPT-time rejections reads.
    "DROP INDEX recipients_state;
    DROP INDEX recipients_message_id;
    DROP INDEX recipients_envelope_id;
    DROP INDEX recipients_receipt;
    CREATE INDEX recipients_message_id ON recipients(message_id) WHERE message_id IS NOT NULL;
    CREATE INDEX recipients_envelope_id ON recipients(envelope_id) WHERE envelope_id IS NOT NULL;
    CREATE INDEX recipients_receipt ON recipients(receipt_id) WHERE receipt_id IS NOT NULL;
    CREATE INDEX recipients_rejected ON recipients(campaign_id) WHERE state = 'rejected';",
    // 6: one key per address (`crate::address`): suppressions and facts are keyed by it
    // (the spelling first seen kept for display), recipients carry it beside the spelling
    // they are sent to. Earlier versions lower-cased ASCII only, so `Unknown@Remote.TEST`
    // refused at RCPT never met its suppression. Case variants of one address collapse
    // into the oldest entry.
    "CREATE TABLE suppressions_keyed (
        email TEXT PRIMARY KEY,
        display TEXT NOT NULL,
        reason TEXT NOT NULL,
        source TEXT NOT NULL,
        evidence TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now'))
    );
    INSERT OR IGNORE INTO suppressions_keyed (email, display, reason, source, evidence, created_at)
        SELECT address_key(email), email, reason, source, evidence, created_at
          FROM suppressions ORDER BY created_at, rowid;
    DROP TABLE suppressions;
    ALTER TABLE suppressions_keyed RENAME TO suppressions;
    UPDATE facts SET email = address_key(email) WHERE email IS NOT NULL;
    ALTER TABLE recipients ADD COLUMN email_key TEXT;
    UPDATE recipients SET email_key = address_key(email);
    DROP INDEX recipients_email;
    CREATE INDEX recipients_email_key ON recipients(email_key);",
    // 7: one timestamp format everywhere, UTC with milliseconds
    // (`2026-12-02T04:29:18.000Z`); rows written to the second before are rewritten.
    "UPDATE campaigns SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at)
      WHERE strftime('%Y-%m-%dT%H:%M:%fZ', created_at) IS NOT NULL;
    UPDATE recipients SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', updated_at)
      WHERE strftime('%Y-%m-%dT%H:%M:%fZ', updated_at) IS NOT NULL;
    UPDATE suppressions SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at)
      WHERE strftime('%Y-%m-%dT%H:%M:%fZ', created_at) IS NOT NULL;
    UPDATE poll_checkpoints SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', updated_at)
      WHERE strftime('%Y-%m-%dT%H:%M:%fZ', updated_at) IS NOT NULL;",
    // 8: blocklist checks (`rebound blocklist check --record`, `run`): the last answer of
    // each list about each sending IP or domain, and every change of listing with its time.
    "CREATE TABLE blocklist_status (
        target TEXT NOT NULL,
        list TEXT NOT NULL,
        listed INTEGER NOT NULL,
        codes TEXT NOT NULL,
        txt TEXT NOT NULL,
        checked_at TEXT NOT NULL,
        since TEXT NOT NULL,
        PRIMARY KEY (target, list)
    );
    CREATE TABLE blocklist_changes (
        id INTEGER PRIMARY KEY,
        target TEXT NOT NULL,
        list TEXT NOT NULL,
        change TEXT NOT NULL CHECK (change IN ('listed', 'delisted')),
        codes TEXT NOT NULL,
        txt TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX blocklist_changes_at ON blocklist_changes(at);",
    // 9: the message file a campaign was last run with, for `campaign list`/`show`; the
    // unsubscribe requests `poll` read (the signed List-Unsubscribe mailto), tied to the
    // recipient whose copy carried the token, for the reports' count; and the recipients
    // of campaigns deleted with --force whose copies went out, so that their unsubscribe
    // links keep working.
    "ALTER TABLE campaigns ADD COLUMN message_path TEXT;
    CREATE TABLE unsubscribes (
        id INTEGER PRIMARY KEY,
        message_row INTEGER REFERENCES messages(id),
        campaign_id INTEGER REFERENCES campaigns(id),
        recipient_id INTEGER REFERENCES recipients(id),
        email TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
    );
    CREATE INDEX unsubscribes_campaign ON unsubscribes(campaign_id);
    CREATE TABLE deleted_recipients (
        campaign_id INTEGER NOT NULL,
        recipient_id INTEGER NOT NULL,
        campaign TEXT NOT NULL,
        email TEXT NOT NULL,
        email_key TEXT,
        PRIMARY KEY (campaign_id, recipient_id)
    );",
];

/// The schema version this build writes: the number of migrations.
pub(crate) const LATEST: usize = MIGRATIONS.len();

/// The schema version a database is at (`PRAGMA user_version`; 0 for a new file).
pub(crate) fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
}

/// Makes `address_key(text)` (the key of `crate::address`) callable from SQL on this
/// connection, for migrations that re-key stored addresses.
pub(crate) fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "address_key",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let s: Option<String> = ctx.get(0)?;
            Ok(s.map(|s| crate::address::key_of(&s)))
        },
    )
}

/// Brings the schema to the newest version. The caller has refused a database newer than
/// [`LATEST`] (a newer build's store must not be read with this build's idea of it).
pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    register_functions(conn)?;
    let version = usize::try_from(version(conn)?).unwrap_or(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_4_store_with_recipients_upgrades_in_place() {
        let mut conn = Connection::open_in_memory().unwrap();
        for (i, sql) in MIGRATIONS.iter().take(4).enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", (i + 1) as i64)
                .unwrap();
        }
        conn.execute_batch(
            "INSERT INTO campaigns (id, name, message_sha256, from_addr) VALUES (1, 'c', 's', 'b@x.test');
             INSERT INTO recipients (campaign_id, email, fields, line, state, receipt_id, message_id)
                  VALUES (1, 'ann@x.test', '{}', 2, 'accepted', 'Q1', 'm1@x.test'),
                         (1, 'bob@x.test', '{}', 3, 'rejected', NULL, NULL);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, MIGRATIONS.len());
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'recipients' AND sql IS NOT NULL ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            indexes,
            [
                "recipients_email_key",
                "recipients_envelope_id",
                "recipients_message_id",
                "recipients_receipt",
                "recipients_rejected"
            ]
        );
        let email = |filter: &str| -> String {
            conn.query_row(
                &format!("SELECT email FROM recipients WHERE {filter}"),
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(
            email("receipt_id = 'Q1' AND message_id = 'm1@x.test'"),
            "ann@x.test"
        );
        assert_eq!(email("state = 'rejected'"), "bob@x.test");
    }
}

#[cfg(test)]
mod rekey_tests {
    use super::*;

    #[test]
    fn version_6_rekeys_stored_addresses_and_merges_their_spellings() {
        let mut conn = Connection::open_in_memory().unwrap();
        for (i, sql) in MIGRATIONS.iter().take(5).enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", (i + 1) as i64)
                .unwrap();
        }
        conn.execute_batch(
            "INSERT INTO campaigns (id, name, message_sha256, from_addr) VALUES (1, 'c', 's', 'b@x.test');
             INSERT INTO recipients (campaign_id, email, fields, line, state)
                  VALUES (1, 'Unknown@Remote.TEST', '{}', 2, 'rejected');
             INSERT INTO suppressions (email, reason, source, created_at)
                  VALUES ('user@bÜcher.example', 'userunknown', 'poll', '2026-01-01T00:00:00Z'),
                         ('user@xn--bcher-kva.example', 'manual', 'manual', '2026-02-01T00:00:00Z'),
                         ('<angle@example.com>', 'manual', 'import', '2026-03-01T00:00:00Z');
             INSERT INTO facts (email, matched_by, reason, hard, evidence, verdict)
                  VALUES ('Unknown@Remote.TEST', 'sync', 'userunknown', 1, 'e', 'suppress');",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let rows = |sql: &str| -> Vec<String> {
            conn.prepare(sql)
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        assert_eq!(
            rows(
                "SELECT email || ' ' || reason || ' ' || display FROM suppressions ORDER BY email"
            ),
            [
                "<angle@example.com> manual <angle@example.com>",
                "user@bücher.example userunknown user@bÜcher.example"
            ]
        );
        assert_eq!(rows("SELECT email FROM facts"), ["unknown@remote.test"]);
        // version 7: one timestamp format
        assert_eq!(
            rows("SELECT created_at FROM suppressions ORDER BY created_at"),
            ["2026-01-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"]
        );
        assert_eq!(
            rows("SELECT email || ' ' || email_key FROM recipients"),
            ["Unknown@Remote.TEST unknown@remote.test"]
        );
    }
}
