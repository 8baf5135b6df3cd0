#include "storage/journalschema.h"

using namespace Qt::StringLiterals;

namespace aimload {

// journalMigrations()[i] takes a journal from schema version i to version i + 1. A released
// step is never edited; a change of schema appends one.
const QList<QStringList>& journalMigrations()
{
    static const QList<QStringList> steps {
        {
            u"CREATE TABLE runs ("
            "id INTEGER PRIMARY KEY, started_at INTEGER NOT NULL, ended_at INTEGER, "
            "end_reason TEXT, agent_url TEXT NOT NULL, options TEXT NOT NULL, "
            "pool_summary TEXT NOT NULL, seed INTEGER NOT NULL)"_s,
            // Times are UTC milliseconds since the epoch. in_stats and failed are the
            // statistics' own counting rules, stored so SQL can sum them.
            u"CREATE TABLE requests ("
            "id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs (id), "
            "request_id INTEGER NOT NULL, user INTEGER NOT NULL, cycle INTEGER NOT NULL, "
            "triggered INTEGER NOT NULL, prompt_id TEXT NOT NULL, grp TEXT NOT NULL, "
            "description TEXT NOT NULL, message TEXT NOT NULL, model TEXT NOT NULL, "
            "endpoint TEXT NOT NULL, workflow TEXT NOT NULL, started_at INTEGER, "
            "latency_ms REAL NOT NULL, http_status INTEGER NOT NULL, "
            "response_bytes INTEGER NOT NULL, outcome TEXT NOT NULL, "
            "in_stats INTEGER NOT NULL, failed INTEGER NOT NULL, error TEXT NOT NULL, "
            "redirect_target TEXT NOT NULL, model_used TEXT NOT NULL, "
            "agent_latency_seconds REAL, tool_call_count INTEGER NOT NULL, "
            "tool_names TEXT NOT NULL, detail TEXT NOT NULL, trace_id TEXT NOT NULL, "
            "span_id TEXT NOT NULL, body_head BLOB)"_s,
            u"CREATE INDEX requests_by_start ON requests (run_id, started_at)"_s,
            // Walked in latency order to an exact percentile of a group and model, of a
            // model, or of the run.
            u"CREATE INDEX requests_by_bucket "
            "ON requests (run_id, grp, model, in_stats, latency_ms)"_s,
            u"CREATE INDEX requests_by_model ON requests (run_id, model, in_stats, latency_ms)"_s,
            u"CREATE INDEX requests_by_latency ON requests (run_id, in_stats, latency_ms)"_s,
            u"CREATE TABLE skipped_slots ("
            "id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs (id), "
            "user INTEGER NOT NULL, slot INTEGER NOT NULL, at INTEGER NOT NULL, "
            "reason TEXT NOT NULL)"_s,
            u"CREATE INDEX skipped_slots_by_run ON skipped_slots (run_id, at)"_s,
            // Running sums per run, group and model, kept by the trigger below in the same
            // transaction as each request: the runs list and the statistics read them
            // instead of scanning a month of requests. Outcome names are part of the file
            // format, as outcomeName() spells them.
            u"CREATE TABLE request_totals ("
            "run_id INTEGER NOT NULL, grp TEXT NOT NULL, model TEXT NOT NULL, "
            "first_id INTEGER NOT NULL, requests INTEGER NOT NULL, failures INTEGER NOT NULL, "
            "cancelled INTEGER NOT NULL, latency_sum REAL NOT NULL, latency_min REAL, "
            "latency_max REAL, bytes INTEGER NOT NULL, tool_calls INTEGER NOT NULL, "
            "PRIMARY KEY (run_id, grp, model)) WITHOUT ROWID"_s,
            u"CREATE TRIGGER requests_add_to_totals AFTER INSERT ON requests BEGIN "
            "INSERT INTO request_totals VALUES (NEW.run_id, NEW.grp, NEW.model, NEW.id, "
            "NEW.in_stats, NEW.failed, NEW.outcome = 'cancelled', "
            "CASE WHEN NEW.in_stats THEN NEW.latency_ms ELSE 0 END, "
            "CASE WHEN NEW.in_stats THEN NEW.latency_ms END, "
            "CASE WHEN NEW.in_stats THEN NEW.latency_ms END, "
            "CASE WHEN NEW.in_stats THEN NEW.response_bytes ELSE 0 END, "
            "CASE WHEN NEW.in_stats THEN NEW.tool_call_count ELSE 0 END) "
            "ON CONFLICT (run_id, grp, model) DO UPDATE SET "
            "requests = requests + excluded.requests, "
            "failures = failures + excluded.failures, "
            "cancelled = cancelled + excluded.cancelled, "
            "latency_sum = latency_sum + excluded.latency_sum, "
            "latency_min = coalesce(min(latency_min, excluded.latency_min), latency_min, "
            "excluded.latency_min), "
            "latency_max = coalesce(max(latency_max, excluded.latency_max), latency_max, "
            "excluded.latency_max), "
            "bytes = bytes + excluded.bytes, tool_calls = tool_calls + excluded.tool_calls; "
            "END"_s,
        },
        {
            // A skipped_slots row stands for a stretch of consecutive slots.
            u"ALTER TABLE skipped_slots ADD COLUMN count INTEGER NOT NULL DEFAULT 1"_s,
        },
    };
    return steps;
}

} // namespace aimload
