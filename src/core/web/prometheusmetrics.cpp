#include "web/prometheusmetrics.h"

#include "engine/loadengine.h"

#include <QLocale>
#include <QUrl>

#include <cmath>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

QByteArray number(double value)
{
    return QByteArray::number(value, 'g', QLocale::FloatingPointShortest);
}

// A bucket bound as people write it: "0.0005", not "5e-04".
QByteArray bound(double value)
{
    QByteArray text = QByteArray::number(value, 'f', 6);
    while (text.endsWith('0'))
        text.chop(1);
    if (text.endsWith('.'))
        text.chop(1);
    return text;
}

void family(QByteArray& out, const char* name, const char* type, const char* help)
{
    out += "# HELP "_ba + name + ' ' + help + "\n# TYPE "_ba + name + ' ' + type + '\n';
}

void sample(QByteArray& out, const char* name, const QByteArray& labels, const QByteArray& value)
{
    out += name;
    if (!labels.isEmpty())
        out += '{' + labels + '}';
    out += ' ' + value + '\n';
}

QByteArray label(const char* name, const QString& value)
{
    return name + "=\""_ba + PrometheusMetrics::escapeLabelValue(value) + '"';
}

QByteArray seriesLabels(const RequestRecord& record)
{
    return label("group", record.group) + ',' + label("model", QString(modelLetter(record.model)))
        + ',' + label("endpoint", endpointPath(record.endpoint).mid(1)) + ','
        + label("outcome", outcomeName(record.outcome));
}

} // namespace

PrometheusMetrics::PrometheusMetrics(QObject* parent)
    : QObject(parent)
    , m_version(QString::fromLatin1(AIMLOAD_VERSION))
{ }

PrometheusMetrics::~PrometheusMetrics() = default;

void PrometheusMetrics::attach(LoadEngine* engine)
{
    if (m_engine)
        m_engine->disconnect(this);
    m_engine = engine;
    connect(engine, &LoadEngine::requestStarted, this, &PrometheusMetrics::recordRequestStarted);
    connect(engine, &LoadEngine::requestFinished, this, &PrometheusMetrics::recordRequestFinished);
    connect(engine, &LoadEngine::cycleStarted, this, &PrometheusMetrics::recordCycleStarted);
}

void PrometheusMetrics::recordCycleStarted(const CycleInfo& cycle)
{
    const qint64 delayNs = cycle.startDelayNs();
    if (delayNs < 0)
        return;
    const double seconds = double(delayNs) / 1e9;
    const auto bucket
        = std::lower_bound(StartDelayBuckets.cbegin(), StartDelayBuckets.cend(), seconds)
        - StartDelayBuckets.cbegin();
    ++m_startDelayBuckets[std::size_t(bucket)];
    ++m_startDelayCount;
    m_startDelaySumSeconds += seconds;
}

void PrometheusMetrics::setAgentUrl(const QUrl& url)
{
    m_agentUrl = url.toString(QUrl::RemoveUserInfo);
}

void PrometheusMetrics::setVersion(const QString& version)
{
    m_version = version;
}

void PrometheusMetrics::recordRequestStarted(const RequestRecord& record)
{
    m_inFlight.insert(record.id);
}

void PrometheusMetrics::recordRequestFinished(const RequestRecord& record)
{
    m_inFlight.remove(record.id);
    if (!record.finished())
        return;

    Series& series = m_series[seriesLabels(record)];
    ++series.requests;
    // A cancelled request did not run its course; its time says nothing about the agent.
    if (record.outcome == Outcome::Cancelled)
        return;

    const double seconds
        = std::isfinite(record.latencyMs) ? std::max(0.0, record.latencyMs / 1000.0) : 0.0;
    const auto bucket = std::lower_bound(DurationBuckets.cbegin(), DurationBuckets.cend(), seconds);
    ++series.buckets[size_t(bucket - DurationBuckets.cbegin())];
    ++series.observations;
    series.sumSeconds += seconds;
}

void PrometheusMetrics::recordHealthCheck(bool healthy)
{
    ++m_healthChecks;
    m_agentUp = healthy;
}

QByteArray PrometheusMetrics::contentType()
{
    return "text/plain; version=0.0.4; charset=utf-8"_ba;
}

QByteArray PrometheusMetrics::escapeLabelValue(const QString& value)
{
    const QByteArray utf8 = value.toUtf8();
    QByteArray escaped;
    escaped.reserve(utf8.size());
    for (const char c : utf8) {
        if (c == '\\')
            escaped += "\\\\";
        else if (c == '"')
            escaped += "\\\"";
        else if (c == '\n')
            escaped += "\\n";
        else
            escaped += c;
    }
    return escaped;
}

QByteArray PrometheusMetrics::render() const
{
    QByteArray out;
    out.reserve(4096 + qsizetype(m_series.size()) * 2048);
    renderRequests(out);
    renderDurations(out);
    renderEngine(out);
    renderAgent(out);
    return out;
}

void PrometheusMetrics::renderRequests(QByteArray& out) const
{
    family(out, "aimload_requests_total", "counter",
        "Requests to the agent that ended, by prompt group, model, endpoint and outcome.");
    for (const auto& [labels, series] : m_series)
        sample(out, "aimload_requests_total", labels, QByteArray::number(series.requests));
}

void PrometheusMetrics::renderDurations(QByteArray& out) const
{
    family(out, "aimload_request_duration_seconds", "histogram",
        "Time from sending a request to the end of the answer; cancelled requests left out.");
    for (const auto& [labels, series] : m_series) {
        if (series.observations == 0)
            continue;
        quint64 cumulative = 0;
        for (size_t i = 0; i < series.buckets.size(); ++i) {
            cumulative += series.buckets[i];
            const QByteArray le
                = i < DurationBuckets.size() ? number(DurationBuckets[i]) : "+Inf"_ba;
            sample(out, "aimload_request_duration_seconds_bucket", labels + ",le=\"" + le + '"',
                QByteArray::number(cumulative));
        }
        sample(out, "aimload_request_duration_seconds_sum", labels, number(series.sumSeconds));
        sample(out, "aimload_request_duration_seconds_count", labels,
            QByteArray::number(series.observations));
    }
}

void PrometheusMetrics::renderEngine(QByteArray& out) const
{
    family(out, "aimload_cycles_total", "counter",
        "Cycles started; each sends one prompt to Model A and Model B.");
    sample(out, "aimload_cycles_total", {},
        QByteArray::number(m_engine ? m_engine->cyclesStarted() : 0));
    family(out, "aimload_slots_skipped_total", "counter",
        "Pacing slots that passed without a cycle, because the previous one still ran.");
    sample(out, "aimload_slots_skipped_total", {},
        QByteArray::number(m_engine ? m_engine->slotsSkipped() : 0));
    family(out, "aimload_cycle_start_delay_seconds", "histogram",
        "How late scheduled cycles started after their grid points t0 + k * pacing.");
    quint64 cumulative = 0;
    for (size_t i = 0; i < m_startDelayBuckets.size(); ++i) {
        cumulative += m_startDelayBuckets[i];
        const QByteArray le
            = i < StartDelayBuckets.size() ? bound(StartDelayBuckets[i]) : "+Inf"_ba;
        sample(out, "aimload_cycle_start_delay_seconds_bucket", "le=\"" + le + '"',
            QByteArray::number(cumulative));
    }
    sample(out, "aimload_cycle_start_delay_seconds_sum", {}, number(m_startDelaySumSeconds));
    sample(
        out, "aimload_cycle_start_delay_seconds_count", {}, QByteArray::number(m_startDelayCount));
    family(out, "aimload_requests_in_flight", "gauge", "Requests sent and not yet answered.");
    sample(out, "aimload_requests_in_flight", {}, QByteArray::number(m_inFlight.size()));

    family(out, "aimload_next_cycle_seconds", "gauge",
        "Seconds until the next scheduled cycle; absent when none is scheduled.");
    const qint64 nextNs = m_engine ? m_engine->nextSlotInNs() : -1;
    if (nextNs >= 0)
        sample(out, "aimload_next_cycle_seconds", {}, number(double(nextNs) / 1e9));
}

void PrometheusMetrics::renderAgent(QByteArray& out) const
{
    family(out, "aimload_agent_up", "gauge",
        "1 when the last health check of the agent succeeded, 0 when it failed; absent before "
        "the first.");
    if (m_agentUp)
        sample(out, "aimload_agent_up", {}, *m_agentUp ? "1"_ba : "0"_ba);
    family(out, "aimload_agent_health_checks_total", "counter", "Health checks of the agent.");
    sample(out, "aimload_agent_health_checks_total", {}, QByteArray::number(m_healthChecks));
    family(out, "aimload_info", "gauge", "The aimload version and the agent it sends to.");
    sample(out, "aimload_info", label("version", m_version) + ',' + label("agent_url", m_agentUrl),
        "1"_ba);
}

} // namespace aimload
