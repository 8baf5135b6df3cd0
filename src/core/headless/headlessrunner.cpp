#include "headless/headlessrunner.h"

#include "engine/loadengine.h"
#include "headless/eventlog.h"
#include "headless/signalwatcher.h"
#include "report/runreports.h"
#include "session/loadsession.h"
#include "stats/statsaggregator.h"

#include <QTimer>

#include <chrono>
#include <cstdio>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

constexpr std::chrono::milliseconds FlushInterval {100};

} // namespace

HeadlessRunner::HeadlessRunner(Options options, QObject* parent)
    : QObject(parent)
    , m_out(stdout)
    , m_flushTimer(new QTimer(this))
    , m_session(new LoadSession(std::move(options), this))
{
    m_flushTimer->setSingleShot(true);
    m_flushTimer->setInterval(FlushInterval);
    connect(m_flushTimer, &QTimer::timeout, this, [this] { m_out.flush(); });
}

HeadlessRunner::~HeadlessRunner()
{
    m_out.flush();
}

bool HeadlessRunner::prepare(QString* error)
{
    if (!m_session->prepare(error))
        return false;

    m_signals = new SignalWatcher(this);
    connect(m_session->log(), &EventLog::lineAdded, this,
        [this](EventLog::Level, const QDateTime&, const QString& text) { printLine(text); });
    connect(m_session->engine(), &LoadEngine::finished, this, &HeadlessRunner::onFinished);
    connect(m_signals, &SignalWatcher::terminationRequested, this, &HeadlessRunner::onTermination);

    const Options& options = m_session->options();
    printLine(u"aimload %1 headless: %2"_s.arg(
        QString::fromLatin1(AIMLOAD_VERSION), m_session->startupLine()));
    printLine(u"Loaded prompt pool %1: %2"_s.arg(
        options.promptsFile.isEmpty() ? u"(built in)"_s : options.promptsFile,
        m_session->pool().summary()));
    printLine(m_session->journalLine());
    if (const QString status = m_session->statusLine(); !status.isEmpty())
        printLine(status);
    return true;
}

void HeadlessRunner::start()
{
    if (m_session->options().waitHealthy)
        printLine(u"Waiting for the agent at %1 to answer GET /health"_s.arg(
            m_session->agentUrl().toString()));
    m_session->engine()->start();
}

QString HeadlessRunner::timestamp()
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const qint64 ms = now.toMSecsSinceEpoch();
    const qint64 second = ms / 1000;
    if (ms < 0)
        return now.toString(Qt::ISODateWithMs);
    if (second != m_stampSecond) {
        // Qt::ISODateWithMs of the whole second: "yyyy-MM-ddTHH:mm:ss.000Z".
        m_stampPrefix
            = QDateTime::fromMSecsSinceEpoch(second * 1000, Qt::UTC).toString(Qt::ISODateWithMs);
        if (!m_stampPrefix.endsWith(u".000Z"_s)) {
            m_stampSecond = -1;
            return now.toString(Qt::ISODateWithMs);
        }
        m_stampPrefix.chop(4);
        m_stampSecond = second;
    }
    QString stamp;
    stamp.reserve(m_stampPrefix.size() + 4);
    stamp += m_stampPrefix;
    const int milli = int(ms % 1000);
    stamp += QChar(u'0' + milli / 100);
    stamp += QChar(u'0' + milli / 10 % 10);
    stamp += QChar(u'0' + milli % 10);
    stamp += u'Z';
    return stamp;
}

void HeadlessRunner::printLine(const QString& text)
{
    m_out << timestamp() << u' ' << text << u'\n';
    if (m_flushEachLine)
        m_out.flush();
    else if (!m_flushTimer->isActive())
        m_flushTimer->start();
}

bool HeadlessRunner::writeReports()
{
    RunReports* reports = m_session->reports();
    if (!reports)
        return true;

    QStringList errors;
    QStringList written;
    const bool ok = reports->write(true, &errors, &written);
    for (const QString& file : std::as_const(written))
        printLine(u"Wrote %1"_s.arg(file));
    for (const QString& error : std::as_const(errors))
        std::fprintf(stderr, "aimload: %s\n", qPrintable(error));
    return ok;
}

void HeadlessRunner::onTermination(const QString& signalName)
{
    m_terminating = true;
    m_flushEachLine = true;
    printLine(u"Received %1: stopping (a second signal exits at once)"_s.arg(signalName));
    m_session->engine()->stop();
}

void HeadlessRunner::onFinished(const QString& reason)
{
    const LoadEngine* engine = m_session->engine();
    // Stopped through the status endpoint: stay up, so /api/start can resume the run.
    if (reason == u"stopped" && !m_terminating && m_session->statusServer()) {
        printLine(u"Stopped through the status endpoint; POST /api/start resumes"_s);
        return;
    }
    const StatsAggregator* stats = m_session->stats();
    printLine(u"Run ended: %1. %2 cycles, %3 slots skipped."_s.arg(reason,
        QString::number(engine->cyclesCompleted()), QString::number(engine->slotsSkipped())));
    m_out << u"\nSummary (latency in ms; percentiles exact, nearest rank)\n"_s
          << stats->summaryTable() << Qt::flush;

    const int errorCode = m_session->options().exitCodeOnError;
    m_exitCode = (errorCode != 0 && stats->failures() > 0) ? errorCode : 0;
    if (!writeReports() && m_exitCode == 0)
        m_exitCode = 1;
    m_out.flush();
    Q_EMIT done(m_exitCode);
}

} // namespace aimload
