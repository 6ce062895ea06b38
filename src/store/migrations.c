/*
 * migrations.c - the versioned schema of the store, for both back ends.
 *
 * schema_version holds one row per applied migration. store_open() applies
 * every migration newer than the database's version, each in its own
 * transaction together with its schema_version row, so a crash leaves the
 * database at a whole version. Migrating takes the write lock (SQLite:
 * BEGIN IMMEDIATE) or an advisory lock (PostgreSQL), and re-reads the
 * version under it: two programs starting at once apply each migration
 * once. A database newer than this program is refused (an older program
 * must not write records a newer schema would read wrongly).
 *
 * Layout: a message's child rows (recipients, header addresses,
 * attachments, URLs, domains, findings) have the key id = msg * 65536 +
 * their position in the record's list, so they sit together, in order,
 * at the end of their table: a record's rows are one key range, appended
 * to one page, with no second index to keep per table (the store's speed
 * is the number of pages a commit writes: docs/store.md). Deleting a
 * message means deleting that range from each child table; there are no
 * foreign keys, whose cascades would need an index on msg per table.
 *
 * Rules for new migrations: append, never edit an applied one; SQL both
 * engines accept ("@ID@" and "@KEY@" are spelled per engine: an identity
 * primary key, and a plain integer key that is SQLite's rowid); an index
 * for every column a hunt searches by. Indexed text
 * is bounded by the store's clipping (store.h), well under PostgreSQL's
 * b-tree row limit (about 2,700 bytes); URLs, which may be longer, are
 * searched through their host.
 */
#include "store/store_int.h"

#include <string.h>

#include <glib.h>

struct migration {
	int version;
	const char *what;
	const char *sql;
};

static const struct migration migrations[] = {
        {1, "messages and what hunts search them by",
         "CREATE TABLE messages ("
         " id @ID@,"
         " uid TEXT NOT NULL UNIQUE,"
         " gateway TEXT NOT NULL,"
         " queue_id TEXT,"
         " message_id TEXT,"
         " date_header TEXT,"
         " received_ms BIGINT NOT NULL,"
         " direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'release')),"
         " client_addr TEXT,"
         " env_from TEXT,"
         " env_from_lc TEXT,"
         " env_from_domain TEXT,"
         " subject TEXT,"
         " verdict TEXT NOT NULL CHECK (verdict IN ('clean', 'suspicious', 'malicious', 'error')),"
         " score INTEGER NOT NULL,"
         " action TEXT NOT NULL CHECK (action IN ('accept', 'tag', 'quarantine', 'hold', 'reject',"
         "  'tempfail', 'discard')),"
         " quarantine_id TEXT,"
         " size BIGINT NOT NULL,"
         " scan_ms DOUBLE PRECISION NOT NULL,"
         " drill SMALLINT NOT NULL CHECK (drill IN (0, 1)),"
         " clipped SMALLINT NOT NULL DEFAULT 0,"
         " stored_ms BIGINT NOT NULL);"
         "CREATE INDEX messages_received ON messages (received_ms);"
         "CREATE INDEX messages_message_id ON messages (message_id);"
         "CREATE INDEX messages_env_from ON messages (env_from_lc);"
         "CREATE INDEX messages_env_from_domain ON messages (env_from_domain);"
         "CREATE TABLE recipients ("
         " id @KEY@,"
         " msg BIGINT NOT NULL,"
         " addr TEXT NOT NULL,"
         " addr_lc TEXT NOT NULL,"
         " domain TEXT NOT NULL);"
         "CREATE INDEX recipients_addr ON recipients (addr_lc);"
         "CREATE INDEX recipients_domain ON recipients (domain);"
         "CREATE TABLE header_addrs ("
         " id @KEY@,"
         " msg BIGINT NOT NULL,"
         " field TEXT NOT NULL CHECK (field IN ('from', 'to')),"
         " addr TEXT NOT NULL,"
         " addr_lc TEXT NOT NULL,"
         " domain TEXT NOT NULL);"
         "CREATE INDEX header_addrs_from ON header_addrs (addr_lc) WHERE field = 'from';"
         "CREATE INDEX header_addrs_from_domain ON header_addrs (domain) WHERE field = 'from';"
         "CREATE TABLE attachments ("
         " id @KEY@,"
         " msg BIGINT NOT NULL,"
         " path TEXT NOT NULL,"
         " name TEXT,"
         " type TEXT,"
         " mime TEXT,"
         " sha256 TEXT,"
         " sha1 TEXT,"
         " md5 TEXT,"
         " size BIGINT NOT NULL,"
         " depth INTEGER NOT NULL);"
         "CREATE INDEX attachments_sha256 ON attachments (sha256);"
         "CREATE INDEX attachments_sha1 ON attachments (sha1);"
         "CREATE INDEX attachments_md5 ON attachments (md5);"
         "CREATE TABLE urls ("
         " id @KEY@,"
         " msg BIGINT NOT NULL,"
         " url TEXT NOT NULL,"
         " host TEXT NOT NULL);"
         "CREATE TABLE domains ("
         " id @KEY@,"
         " msg BIGINT NOT NULL,"
         " domain TEXT NOT NULL);"
         "CREATE INDEX domains_domain ON domains (domain);"
         "CREATE TABLE findings ("
         " id @KEY@,"
         " msg BIGINT NOT NULL,"
         " fid TEXT NOT NULL,"
         " severity TEXT NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high',"
         "  'critical')),"
         " title TEXT,"
         " object TEXT,"
         " attack TEXT,"
         " evidence TEXT);"
         "CREATE INDEX findings_fid ON findings (fid);"},
        {2, "vigild: users, sessions, tokens, audit log, alerts, incidents",
         /* users: role and scope are checked by src/server/access.c; a
          * provincial analyst's unit, a regional coordinator's region */
         "CREATE TABLE users ("
         " id @ID@,"
         " username TEXT NOT NULL UNIQUE,"
         " display_name TEXT NOT NULL,"
         " email TEXT,"
         " role TEXT NOT NULL CHECK (role IN ('admin', 'central_analyst', 'provincial_analyst',"
         "  'regional_coordinator', 'drill_controller', 'viewer')),"
         " unit TEXT,"
         " region TEXT,"
         " pw_hash TEXT NOT NULL,"
         " lang TEXT NOT NULL DEFAULT 'vi',"
         " disabled SMALLINT NOT NULL DEFAULT 0,"
         " failed INTEGER NOT NULL DEFAULT 0,"
         " locked_until_ms BIGINT NOT NULL DEFAULT 0,"
         " created_ms BIGINT NOT NULL);"
         /* a session is found by the SHA-256 of its cookie, never the
          * cookie itself: a copy of the database opens no session */
         "CREATE TABLE sessions ("
         " id TEXT PRIMARY KEY,"
         " user_id BIGINT NOT NULL,"
         " csrf TEXT NOT NULL,"
         " created_ms BIGINT NOT NULL,"
         " last_ms BIGINT NOT NULL,"
         " expires_ms BIGINT NOT NULL);"
         "CREATE INDEX sessions_user ON sessions (user_id);"
         "CREATE TABLE api_tokens ("
         " id @ID@,"
         " name TEXT NOT NULL,"
         " token_hash TEXT NOT NULL UNIQUE,"
         " kind TEXT NOT NULL CHECK (kind IN ('gateway', 'agent', 'api')),"
         " user_id BIGINT,"
         " unit TEXT,"
         " created_ms BIGINT NOT NULL,"
         " last_ms BIGINT NOT NULL DEFAULT 0,"
         " revoked SMALLINT NOT NULL DEFAULT 0);"
         /* append-only; hash = SHA-256(prev_hash | fields): src/server/audit.c */
         "CREATE TABLE audit ("
         " id @ID@,"
         " at_ms BIGINT NOT NULL,"
         " actor TEXT NOT NULL,"
         " action TEXT NOT NULL,"
         " object TEXT NOT NULL,"
         " unit TEXT,"
         " detail TEXT NOT NULL,"
         " prev_hash TEXT NOT NULL,"
         " hash TEXT NOT NULL UNIQUE);"
         "CREATE TABLE alerts ("
         " id @ID@,"
         " uid TEXT NOT NULL UNIQUE,"
         " received_ms BIGINT NOT NULL,"
         " gateway TEXT NOT NULL,"
         " unit TEXT,"
         " verdict TEXT NOT NULL,"
         " score INTEGER NOT NULL,"
         " subject TEXT,"
         " sender TEXT,"
         " doc TEXT NOT NULL,"
         " incident BIGINT,"
         " drill SMALLINT NOT NULL DEFAULT 0);"
         "CREATE INDEX alerts_received ON alerts (received_ms);"
         "CREATE INDEX alerts_incident ON alerts (incident);"
         "CREATE TABLE alert_keys ("
         " alert BIGINT NOT NULL,"
         " k TEXT NOT NULL,"
         " PRIMARY KEY (alert, k));"
         "CREATE INDEX alert_keys_k ON alert_keys (k);"
         "CREATE TABLE incidents ("
         " id @ID@,"
         " ref TEXT NOT NULL UNIQUE,"
         " title TEXT NOT NULL,"
         " severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),"
         " tlp TEXT NOT NULL,"
         " status TEXT NOT NULL CHECK (status IN ('new', 'triage', 'containment', 'eradication',"
         "  'recovery', 'closed')),"
         " drill SMALLINT NOT NULL DEFAULT 0,"
         " summary TEXT NOT NULL DEFAULT '',"
         " owner BIGINT,"
         " created_ms BIGINT NOT NULL,"
         " detected_ms BIGINT NOT NULL,"
         " acknowledged_ms BIGINT,"
         " contained_ms BIGINT,"
         " closed_ms BIGINT,"
         " updated_ms BIGINT NOT NULL);"
         "CREATE INDEX incidents_status ON incidents (status);"
         /* region copied from the organisation when the unit is added:
          * regional scope is then one indexed condition */
         "CREATE TABLE incident_units ("
         " incident BIGINT NOT NULL,"
         " unit TEXT NOT NULL,"
         " region TEXT,"
         " PRIMARY KEY (incident, unit));"
         "CREATE INDEX incident_units_unit ON incident_units (unit);"
         "CREATE INDEX incident_units_region ON incident_units (region);"
         "CREATE TABLE indicators ("
         " id @ID@,"
         " incident BIGINT NOT NULL,"
         " type TEXT NOT NULL,"
         " value TEXT NOT NULL,"
         " value_lc TEXT NOT NULL,"
         " description TEXT NOT NULL DEFAULT '',"
         " tlp TEXT NOT NULL,"
         " created_ms BIGINT NOT NULL,"
         " UNIQUE (incident, type, value_lc));"
         "CREATE INDEX indicators_value ON indicators (value_lc);"
         "CREATE TABLE events ("
         " id @ID@,"
         " incident BIGINT NOT NULL,"
         " at_ms BIGINT NOT NULL,"
         " actor TEXT NOT NULL,"
         " kind TEXT NOT NULL,"
         " text TEXT NOT NULL);"
         "CREATE INDEX events_incident ON events (incident, at_ms);"
         "CREATE TABLE tasks ("
         " id @ID@,"
         " incident BIGINT NOT NULL,"
         " title TEXT NOT NULL,"
         " unit TEXT,"
         " assignee BIGINT,"
         " done SMALLINT NOT NULL DEFAULT 0,"
         " created_ms BIGINT NOT NULL,"
         " done_ms BIGINT);"
         "CREATE INDEX tasks_incident ON tasks (incident);"
         /* evidence files of an incident, base64 in the row: the same on
          * both stores and shared by every vigild node */
         "CREATE TABLE evidence ("
         " id @ID@,"
         " incident BIGINT NOT NULL,"
         " name TEXT NOT NULL,"
         " sha256 TEXT NOT NULL,"
         " size BIGINT NOT NULL,"
         " content TEXT NOT NULL,"
         " actor TEXT NOT NULL,"
         " created_ms BIGINT NOT NULL);"
         "CREATE INDEX evidence_incident ON evidence (incident);"
         "CREATE TABLE notifications ("
         " id @ID@,"
         " user_id BIGINT NOT NULL,"
         " at_ms BIGINT NOT NULL,"
         " incident BIGINT,"
         " text TEXT NOT NULL,"
         " seen SMALLINT NOT NULL DEFAULT 0);"
         "CREATE INDEX notifications_user ON notifications (user_id, id);"
         /* the Circular 20/2017 reports filed for an incident */
         "CREATE TABLE incident_reports ("
         " incident BIGINT NOT NULL,"
         " kind TEXT NOT NULL CHECK (kind IN ('notification', 'initial', 'final')),"
         " filed_ms BIGINT NOT NULL,"
         " number TEXT,"
         " sent_to TEXT,"
         " actor TEXT NOT NULL,"
         " PRIMARY KEY (incident, kind));"
         /* which deadline warnings were sent (once per report and state) */
         "CREATE TABLE report_warnings ("
         " incident BIGINT NOT NULL,"
         " kind TEXT NOT NULL,"
         " state TEXT NOT NULL,"
         " at_ms BIGINT NOT NULL,"
         " PRIMARY KEY (incident, kind, state));"
         /* how far vigild's feeder read the gateways' message records */
         "CREATE TABLE feeder ("
         " name TEXT PRIMARY KEY,"
         " last_id BIGINT NOT NULL);"},
        {3, "containment: hunts and the copies they found (claw-back state per copy)",
         "CREATE TABLE hunts ("
         " id @ID@,"
         " incident BIGINT,"
         " criteria TEXT NOT NULL,"
         " actor TEXT NOT NULL,"
         " created_ms BIGINT NOT NULL,"
         " total BIGINT NOT NULL);"
         "CREATE INDEX hunts_incident ON hunts (incident);"
         /* one row per message x recipient: what claw-back works on */
         "CREATE TABLE copies ("
         " id @ID@,"
         " incident BIGINT NOT NULL,"
         " hunt BIGINT NOT NULL,"
         " msg_uid TEXT NOT NULL,"
         " message_id TEXT,"
         " rcpt TEXT NOT NULL,"
         " unit TEXT,"
         " region TEXT,"
         " received_ms BIGINT NOT NULL,"
         " drill SMALLINT NOT NULL DEFAULT 0,"
         " state TEXT NOT NULL CHECK (state IN ('found', 'pulled', 'not_found', 'failed',"
         "  'restored')),"
         " folder TEXT,"
         " seen SMALLINT,"
         " detail TEXT,"
         " updated_ms BIGINT NOT NULL,"
         " UNIQUE (incident, msg_uid, rcpt));"
         "CREATE INDEX copies_incident ON copies (incident, state);"},
        {4, "vigild: endpoint agents, enrolment tokens, sweeps and quarantine orders",
         /* an agent is found by the SHA-256 of its credential (like
          * api_tokens); last_seen_ms is written in batches (api_agents.c),
          * not by every check-in; region copied from the organisation so
          * regional scope is one indexed condition */
         "CREATE TABLE agents ("
         " id @ID@,"
         " host TEXT NOT NULL,"
         " unit TEXT,"
         " region TEXT,"
         " owner TEXT,"
         " os TEXT,"
         " version TEXT,"
         " cred_hash TEXT NOT NULL UNIQUE,"
         " enrol_token BIGINT,"
         " enrolled_ms BIGINT NOT NULL,"
         " last_seen_ms BIGINT NOT NULL DEFAULT 0,"
         " revoked SMALLINT NOT NULL DEFAULT 0);"
         "CREATE INDEX agents_host ON agents (host);"
         "CREATE INDEX agents_unit ON agents (unit);"
         "CREATE INDEX agents_region ON agents (region);"
         /* one-time: used_ms is set by the enrolment that spends it */
         "CREATE TABLE agent_enrol_tokens ("
         " id @ID@,"
         " token_hash TEXT NOT NULL UNIQUE,"
         " unit TEXT,"
         " host TEXT,"
         " created_by TEXT NOT NULL,"
         " created_ms BIGINT NOT NULL,"
         " expires_ms BIGINT NOT NULL,"
         " used_ms BIGINT,"
         " agent BIGINT);"
         /* spec: what the agents look for (JSON, as sent to them) */
         "CREATE TABLE sweeps ("
         " id @ID@,"
         " incident BIGINT NOT NULL,"
         " spec TEXT NOT NULL,"
         " units TEXT NOT NULL,"
         " created_by TEXT NOT NULL,"
         " created_ms BIGINT NOT NULL,"
         " deadline_ms BIGINT NOT NULL,"
         " expires_ms BIGINT NOT NULL);"
         "CREATE INDEX sweeps_incident ON sweeps (incident);"
         /* one row per endpoint a sweep is for, keyed by host so an agent
          * enrolled after the sweep still gets it; state 0 waiting,
          * 1 delivered, 2 reported. The partial index is all a check-in
          * reads: the open targets of one host */
         "CREATE TABLE sweep_targets ("
         " sweep BIGINT NOT NULL,"
         " host TEXT NOT NULL,"
         " unit TEXT NOT NULL,"
         " state SMALLINT NOT NULL DEFAULT 0,"
         " expires_ms BIGINT NOT NULL,"
         " agent BIGINT,"
         " delivered_ms BIGINT,"
         " reported_ms BIGINT,"
         " outcome TEXT,"
         " files BIGINT,"
         " hits INTEGER,"
         " detail TEXT,"
         " PRIMARY KEY (sweep, host));"
         "CREATE INDEX sweep_targets_open ON sweep_targets (host) WHERE state < 2;"
         "CREATE INDEX sweep_targets_unit ON sweep_targets (sweep, unit);"
         "CREATE TABLE sweep_hits ("
         " id @ID@,"
         " sweep BIGINT NOT NULL,"
         " host TEXT NOT NULL,"
         " path TEXT NOT NULL,"
         " sha256 TEXT,"
         " size BIGINT,"
         " mtime_ms BIGINT,"
         " matched TEXT NOT NULL,"
         " object TEXT);"
         "CREATE INDEX sweep_hits_target ON sweep_hits (sweep, host);"
         "CREATE INDEX sweep_hits_sha256 ON sweep_hits (sha256);"
         /* instructions for one endpoint's agent; state 0 waiting,
          * 1 delivered, 2 done, 3 failed */
         "CREATE TABLE agent_orders ("
         " id @ID@,"
         " host TEXT NOT NULL,"
         " incident BIGINT NOT NULL,"
         " sweep BIGINT NOT NULL,"
         " hit BIGINT NOT NULL,"
         " kind TEXT NOT NULL CHECK (kind IN ('quarantine')),"
         " path TEXT NOT NULL,"
         " sha256 TEXT,"
         " state SMALLINT NOT NULL DEFAULT 0,"
         " created_by TEXT NOT NULL,"
         " created_ms BIGINT NOT NULL,"
         " delivered_ms BIGINT,"
         " done_ms BIGINT,"
         " result TEXT);"
         "CREATE INDEX agent_orders_open ON agent_orders (host) WHERE state < 2;"
         "CREATE INDEX agent_orders_hit ON agent_orders (hit);"},
        {5, "vigild: the block list pushed to the gateways",
         /* every change of the block list, in order: a gateway asks for
          * the events after the last one it applied. seq is only ever
          * written inside vigild's serialised write transactions (sql.h:
          * BEGIN IMMEDIATE, STORE_WRITE_LOCK), so a reader that sees seq N
          * sees every event before it; rows are never deleted (SQLite
          * would reuse the highest rowid) */
         "CREATE TABLE block_events ("
         " seq @ID@,"
         " op TEXT NOT NULL CHECK (op IN ('add', 'remove')),"
         " type TEXT NOT NULL,"
         " value TEXT NOT NULL,"
         " source TEXT NOT NULL,"
         " actor TEXT NOT NULL,"
         " at_ms BIGINT NOT NULL);"
         /* what is blocked now, and the event that added it */
         "CREATE TABLE blocks ("
         " type TEXT NOT NULL,"
         " value TEXT NOT NULL,"
         " seq BIGINT NOT NULL,"
         " PRIMARY KEY (type, value));"
         "CREATE INDEX blocks_seq ON blocks (seq);"
         /* the global block list (outside incidents); value as
          * indicators.value_lc */
         "CREATE TABLE blocklist ("
         " id @ID@,"
         " type TEXT NOT NULL,"
         " value TEXT NOT NULL,"
         " description TEXT NOT NULL DEFAULT '',"
         " actor TEXT NOT NULL,"
         " created_ms BIGINT NOT NULL,"
         " UNIQUE (type, value));"
         /* one row per gateway token that subscribed or acknowledged */
         "CREATE TABLE gateways ("
         " token_id BIGINT PRIMARY KEY,"
         " name TEXT NOT NULL,"
         " host TEXT,"
         " acked_seq BIGINT NOT NULL DEFAULT 0,"
         " acked_ms BIGINT,"
         " connected_ms BIGINT,"
         " disconnected_ms BIGINT,"
         " node TEXT);"
         /* the identity of this database's event stream: a gateway that
          * followed another database's starts over */
         "CREATE TABLE block_stream ("
         " id TEXT PRIMARY KEY);"
         /* membership: indicators by (type, value_lc) */
         "CREATE INDEX indicators_type_value ON indicators (type, value_lc);"},
        {6, "vigild: drill programmes, rounds and the staff exercise",
         /* docs/decisions/0014-drills-contract.md; docs/drills.md */
         "CREATE TABLE drill_programmes ("
         " id @ID@,"
         " name TEXT NOT NULL,"
         " year INTEGER NOT NULL,"
         " description TEXT NOT NULL DEFAULT '',"
         " created_by TEXT NOT NULL,"
         " created_ms BIGINT NOT NULL);"
         "CREATE INDEX drill_programmes_year ON drill_programmes (year);"
         /* objectives: a JSON array of strings; sample: staff per unit
          * (NULL: all of them); state moves planned -> running -> ended
          * -> cleaned, never back */
         "CREATE TABLE drill_rounds ("
         " id @ID@,"
         " ref TEXT NOT NULL UNIQUE,"
         " programme BIGINT,"
         " year INTEGER NOT NULL,"
         " region TEXT NOT NULL,"
         " seq INTEGER NOT NULL,"
         " theme TEXT NOT NULL,"
         " scenario TEXT NOT NULL,"
         " objectives TEXT NOT NULL DEFAULT '[]',"
         " rules TEXT NOT NULL DEFAULT '',"
         " kind TEXT NOT NULL CHECK (kind IN ('staff', 'team', 'both')),"
         " state TEXT NOT NULL DEFAULT 'planned' CHECK (state IN ('planned', 'running',"
         "  'ended', 'cleaned')),"
         " planned_start_ms BIGINT,"
         " planned_end_ms BIGINT,"
         " started_ms BIGINT,"
         " ended_ms BIGINT,"
         " cleaned_ms BIGINT,"
         " rate_per_min INTEGER NOT NULL,"
         " sample INTEGER,"
         " created_by TEXT NOT NULL,"
         " created_ms BIGINT NOT NULL,"
         " updated_ms BIGINT NOT NULL);"
         "CREATE INDEX drill_rounds_programme ON drill_rounds (programme);"
         "CREATE INDEX drill_rounds_year_region ON drill_rounds (year, region);"
         "CREATE INDEX drill_rounds_state ON drill_rounds (state);"
         /* region copied from the organisation: regional scope is one
          * indexed condition (as incident_units) */
         "CREATE TABLE drill_round_units ("
         " round BIGINT NOT NULL,"
         " unit TEXT NOT NULL,"
         " region TEXT,"
         " PRIMARY KEY (round, unit));"
         "CREATE INDEX drill_round_units_unit ON drill_round_units (unit);"
         "CREATE INDEX drill_round_units_region ON drill_round_units (region);"
         "CREATE TABLE drill_round_people ("
         " round BIGINT NOT NULL,"
         " user_id BIGINT NOT NULL,"
         " role TEXT NOT NULL CHECK (role IN ('controller', 'evaluator')),"
         " PRIMARY KEY (round, user_id, role));"
         "CREATE INDEX drill_round_people_user ON drill_round_people (user_id);"
         /* one row per staff member a round's mail goes to: the delivery
          * thread's state (resumable) and the first time of each event;
          * *_n count every occurrence */
         "CREATE TABLE drill_targets ("
         " id @ID@,"
         " round BIGINT NOT NULL,"
         " token TEXT NOT NULL UNIQUE,"
         " mailbox TEXT NOT NULL,"
         " name TEXT NOT NULL,"
         " unit TEXT NOT NULL,"
         " region TEXT,"
         " state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent',"
         "  'failed')),"
         " attempts INTEGER NOT NULL DEFAULT 0,"
         " message_id TEXT,"
         " sent_ms BIGINT,"
         " opened_ms BIGINT,"
         " clicked_ms BIGINT,"
         " attachment_ms BIGINT,"
         " credentials_ms BIGINT,"
         " reported_ms BIGINT,"
         " opened_n INTEGER NOT NULL DEFAULT 0,"
         " clicked_n INTEGER NOT NULL DEFAULT 0,"
         " attachment_n INTEGER NOT NULL DEFAULT 0,"
         " credentials_n INTEGER NOT NULL DEFAULT 0,"
         " reported_n INTEGER NOT NULL DEFAULT 0,"
         " report_via TEXT,"
         " error TEXT);"
         "CREATE INDEX drill_targets_round_unit ON drill_targets (round, unit);"
         "CREATE INDEX drill_targets_pending ON drill_targets (round, id) WHERE state = "
         "'pending';"
         "CREATE INDEX drill_targets_message_id ON drill_targets (message_id);"
         "CREATE TABLE drill_events ("
         " id @ID@,"
         " round BIGINT NOT NULL,"
         " target BIGINT NOT NULL,"
         " kind TEXT NOT NULL,"
         " at_ms BIGINT NOT NULL,"
         " detail TEXT);"
         "CREATE INDEX drill_events_target ON drill_events (target);"
         "CREATE INDEX drill_events_round ON drill_events (round, at_ms);"},
        {7, "drills: the team exercise (injects, planted simulants, their agent orders)",
         /* a drill incident's round (incidents of real alerts: NULL) */
         "ALTER TABLE incidents ADD COLUMN drill_round BIGINT;"
         "CREATE INDEX incidents_drill_round ON incidents (drill_round);"
         /* a round's team exercise: the controller's settings while
          * planned, then the scenario as it was at the start (JSON) and how
          * long one scenario minute lasts */
         "CREATE TABLE drill_team ("
         " round BIGINT PRIMARY KEY,"
         " state TEXT NOT NULL CHECK (state IN ('planned', 'running', 'ended', 'cleaned')),"
         " settings TEXT NOT NULL DEFAULT '{}',"
         " scenario TEXT,"
         " minute_ms BIGINT NOT NULL DEFAULT 60000,"
         " started_ms BIGINT,"
         " started_by TEXT,"
         " ended_ms BIGINT,"
         " cleanup_ms BIGINT,"
         " cleanup TEXT);"
         /* per participating unit: its simulant (base64, the one planted
          * on its endpoints and attached to its detections) and when its
          * first detection arrived (where its measures start) */
         "CREATE TABLE drill_team_units ("
         " round BIGINT NOT NULL,"
         " unit TEXT NOT NULL,"
         " region TEXT,"
         " token TEXT NOT NULL,"
         " simulant TEXT NOT NULL,"
         " sha256 TEXT NOT NULL,"
         " size BIGINT NOT NULL,"
         " recipients TEXT NOT NULL,"
         " first_alert_ms BIGINT,"
         " alerts INTEGER NOT NULL DEFAULT 0,"
         " PRIMARY KEY (round, unit));"
         /* the scenario's timeline; a scheduler fires what is due (state
          * survives a restart) */
         "CREATE TABLE drill_injects ("
         " id @ID@,"
         " round BIGINT NOT NULL,"
         " seq INTEGER NOT NULL,"
         " at_ms BIGINT NOT NULL,"
         " kind TEXT NOT NULL CHECK (kind IN ('detection', 'second_report', 'plant',"
         "  'message')),"
         " payload TEXT NOT NULL,"
         " state TEXT NOT NULL CHECK (state IN ('pending', 'fired', 'failed', 'cancelled')),"
         " fired_ms BIGINT,"
         " detail TEXT);"
         "CREATE INDEX drill_injects_round ON drill_injects (round, seq);"
         "CREATE INDEX drill_injects_due ON drill_injects (at_ms) WHERE state = 'pending';"
         /* a simulant planted on one endpoint; found_ms: the first sweep of
          * the round's incident that reported it */
         "CREATE TABLE drill_plants ("
         " id @ID@,"
         " round BIGINT NOT NULL,"
         " inject BIGINT,"
         " host TEXT NOT NULL,"
         " unit TEXT NOT NULL,"
         " name TEXT NOT NULL,"
         " path TEXT,"
         " sha256 TEXT NOT NULL,"
         " state TEXT NOT NULL CHECK (state IN ('ordered', 'planted', 'failed', 'removing',"
         "  'removed', 'remove_failed')),"
         " created_ms BIGINT NOT NULL,"
         " planted_ms BIGINT,"
         " found_ms BIGINT,"
         " found_sweep BIGINT,"
         " removed_ms BIGINT,"
         " plant_order BIGINT,"
         " unplant_order BIGINT,"
         " detail TEXT,"
         " UNIQUE (round, host, name));"
         "CREATE INDEX drill_plants_round ON drill_plants (round, unit);"
         /* orders to the agents (agent_orders takes quarantines only);
          * state 0 waiting, 1 delivered, 2 done, 3 failed, as there */
         "CREATE TABLE drill_orders ("
         " id @ID@,"
         " host TEXT NOT NULL,"
         " round BIGINT NOT NULL,"
         " plant BIGINT NOT NULL,"
         " kind TEXT NOT NULL CHECK (kind IN ('plant', 'unplant')),"
         " state SMALLINT NOT NULL DEFAULT 0,"
         " created_ms BIGINT NOT NULL,"
         " delivered_ms BIGINT,"
         " done_ms BIGINT,"
         " result TEXT);"
         "CREATE INDEX drill_orders_open ON drill_orders (host) WHERE state < 2;"},
};

#define N_MIGRATIONS (sizeof migrations / sizeof migrations[0])

int store_migrations_latest(void)
{
	return migrations[N_MIGRATIONS - 1].version;
}

static int row_version(void *ctx, const struct store_val *c, int nc)
{
	int *v = ctx;

	*v = 0;
	if (nc > 0 && c[0].t == SV_INT)
		*v = (int)c[0].i;
	else if (nc > 0 && c[0].t == SV_TEXT)
		*v = (int)g_ascii_strtoll(c[0].s, NULL, 10);
	return 0;
}

static int current(const struct store_driver *drv, void *conn, int *v, char **err)
{
	*v = 0;
	return drv->query(conn, -1, "SELECT max(version) FROM schema_version", NULL, 0, row_version,
	                  v, err);
}

static int apply(const struct store_driver *drv, void *conn, const struct migration *m, char **err)
{
	GString *sql = g_string_new(m->sql);
	struct store_val row[3] = {
	        {.t = SV_INT, .i = m->version},
	        {.t = SV_TEXT, .s = m->what},
	        {.t = SV_INT, .i = store_now_ms()},
	};
	int rc;

	g_string_replace(sql, "@KEY@",
	                 drv == &store_pg_driver ? "BIGINT PRIMARY KEY" : "INTEGER PRIMARY KEY", 0);
	g_string_replace(sql, "@ID@",
	                 drv == &store_pg_driver ? "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
	                                         : "INTEGER PRIMARY KEY",
	                 0);
	rc = drv->exec(conn, sql->str, err);
	if (rc == STORE_OK)
		rc = drv->query(conn, -1,
		                "INSERT INTO schema_version (version, description, applied_ms) "
		                "VALUES (?, ?, ?)",
		                row, 3, NULL, NULL, err);
	g_string_free(sql, TRUE);
	return rc;
}

int store_migrate(const struct store_driver *drv, void *conn, int *version, char **err)
{
	int v = 0, rc, latest = store_migrations_latest();

	*version = 0;
	rc = drv->begin(conn, STORE_TX_MIGRATE, err);
	if (rc != STORE_OK)
		return rc;
	rc = drv->exec(conn,
	               "CREATE TABLE IF NOT EXISTS schema_version ("
	               " version INTEGER PRIMARY KEY,"
	               " description TEXT NOT NULL,"
	               " applied_ms BIGINT NOT NULL)",
	               err);
	if (rc == STORE_OK)
		rc = current(drv, conn, &v, err);
	if (rc == STORE_OK)
		rc = drv->end(conn, 1, err);
	else
		drv->end(conn, 0, NULL);
	if (rc != STORE_OK)
		return rc;
	if (v > latest)
		return store_fail(err, STORE_EINVAL,
		                  "store: the database's schema (version %d) is newer than this "
		                  "program's (%d): upgrade vigil",
		                  v, latest);
	for (size_t i = 0; i < N_MIGRATIONS; i++) {
		const struct migration *m = &migrations[i];

		if (m->version <= v)
			continue;
		rc = drv->begin(conn, STORE_TX_MIGRATE, err);
		if (rc != STORE_OK)
			return rc;
		/* another program may have migrated while we waited for the lock */
		rc = current(drv, conn, &v, err);
		if (rc == STORE_OK && v < m->version)
			rc = apply(drv, conn, m, err);
		if (rc == STORE_OK)
			rc = drv->end(conn, 1, err);
		else
			drv->end(conn, 0, NULL);
		if (rc != STORE_OK)
			return store_fail(err, rc, "store: migration %d failed", m->version);
		if (v < m->version)
			v = m->version;
	}
	*version = v;
	return STORE_OK;
}
