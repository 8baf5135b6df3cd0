#include "headless/eventlog.h"

#include "config/duration.h"
#include "engine/loadengine.h"

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

QString endpointLabel(const RequestRecord& record)
{
    return record.endpoint == Endpoint::Chat ? u"chat"_s : u"repair/"_s + record.workflow;
}

} // namespace

EventLog::EventLog(QObject* parent)
    : QObject(parent)
{ }

QString EventLog::levelName(Level level)
{
    switch (level) {
    case Level::Debug:
        return u"debug"_s;
    case Level::Info:
        return u"info"_s;
    case Level::Warning:
        return u"warning"_s;
    case Level::Error:
        return u"error"_s;
    }
    return {};
}

void EventLog::add(Level level, const QString& text)
{
    Q_EMIT lineAdded(level, QDateTime::currentDateTimeUtc(), text);
}

QString EventLog::cycleLine(const CycleInfo& cycle)
{
    const Prompt& prompt = cycle.prompt;
    const QString endpoint = prompt.endpoint == Endpoint::Chat
        ? u"endpoint=/chat"_s
        : u"endpoint=/repair, workflow=%1"_s.arg(prompt.workflow);
    return u"Cycle %1%2%3: Sending prompt: %4 - %5 (%6)"_s.arg(QString::number(cycle.cycle),
        cycle.user > 0 ? u" (user %1)"_s.arg(cycle.user + 1) : QString(),
        cycle.triggered ? u" (triggered)"_s : QString(), prompt.group, prompt.description,
        endpoint);
}

QString EventLog::requestLine(const RequestRecord& record)
{
    const QString model = modelLabel(record.model);
    const QString seconds = formatSeconds(record.latencyMs / 1000.0);
    QString details = endpointLabel(record) + u", "_s + seconds;
    if (record.endpoint == Endpoint::Repair && record.outcome == Outcome::Ok)
        details += record.toolCallCount == 1 ? u", 1 tool call"_s
                                             : u", %1 tool calls"_s.arg(record.toolCallCount);

    if (record.outcome == Outcome::Ok)
        return u"✓ %1: %2 (%3)"_s.arg(model, record.group, details);
    if (record.outcome == Outcome::Cancelled)
        return u"✗ %1: %2 cancelled: %3 (%4)"_s.arg(model, record.group, record.error, details);
    return u"✗ %1: %2 failed: %3 [%4] (%5)"_s.arg(
        model, record.group, record.error, outcomeName(record.outcome), details);
}

void EventLog::attach(LoadEngine* engine, const QString& agentUrl)
{
    m_engine = engine;
    connect(engine, &LoadEngine::healthWaiting, this,
        [this, agentUrl](int attempt, const QString& error, qint64 retryInMs) {
            add(Level::Warning,
                u"Waiting for the agent at %1 (attempt %2): %3; retrying in %4"_s.arg(agentUrl,
                    QString::number(attempt), error,
                    formatDuration(std::chrono::milliseconds(retryInMs))));
        });
    connect(engine, &LoadEngine::agentHealthy, this, [this, agentUrl](int attempts) {
        add(Level::Info,
            attempts == 1
                ? u"Agent at %1 is healthy"_s.arg(agentUrl)
                : u"Agent at %1 is healthy after %2 checks"_s.arg(agentUrl).arg(attempts));
    });
    connect(engine, &LoadEngine::cycleStarted, this,
        [this](const CycleInfo& cycle) { add(Level::Info, cycleLine(cycle)); });
    connect(engine, &LoadEngine::requestFinished, this, [this](const RequestRecord& record) {
        add(record.outcome == Outcome::Ok ? Level::Info : Level::Warning, requestLine(record));
    });
    connect(engine, &LoadEngine::cycleFinished, this, &EventLog::onCycleFinished);
    connect(engine, &LoadEngine::skippedSlots, this,
        [this](int user, qint64 first, qint64 count, const QString& reason) {
            add(Level::Warning,
                count == 1
                    ? u"Skipped slot %1 of user %2: %3"_s.arg(first).arg(user + 1).arg(reason)
                    : u"Skipped %1 slots (%2 to %3) of user %4: %5"_s.arg(count)
                          .arg(first)
                          .arg(first + count - 1)
                          .arg(user + 1)
                          .arg(reason));
        });
}

void EventLog::onCycleFinished(const CycleInfo& cycle)
{
    const qint64 nextNs = m_engine ? m_engine->nextSlotInNs() : -1;
    if (m_engine && m_engine->state() != LoadEngine::State::Running)
        return;
    QString text = u"Cycle %1 done"_s.arg(cycle.cycle);
    if (nextNs >= 0) {
        const QDateTime next = QDateTime::currentDateTimeUtc().addMSecs(nextNs / 1'000'000);
        text += u"; next cycle at %1 (in %2)"_s.arg(next.toString(u"HH:mm:ss'Z'"_s),
            formatDuration(
                std::chrono::milliseconds((nextNs + 500'000'000) / 1'000'000'000 * 1000)));
    }
    add(Level::Info, text);
}

} // namespace aimload
