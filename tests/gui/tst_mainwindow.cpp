// The window driven through its toolbar actions against the built-in simulated agent,
// on the offscreen platform with a real event loop.

#include "bannerbar.h"
#include "engine/loadengine.h"
#include "mainwindow.h"
#include "models/abcomparisonmodel.h"
#include "models/requesttablemodel.h"
#include "models/statstablemodel.h"
#include "requestspage.h"
#include "runcontroller.h"
#include "session/loadsession.h"
#include "settingsdialog.h"
#include "sim/simulatedagent.h"
#include "stats/statsaggregator.h"
#include "statusstrip.h"
#include "storage/journal.h"
#include "windowtesthelpers.h"

#include "faultserver.h"

#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using aimload::BannerBar;
using aimload::LoadEngine;
using aimload::MainWindow;
using aimload::Model;
using aimload::Outcome;

class TestMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void startFillsTableStatisticsAndComparison();
    void actionsFollowTheState();
    void triggerRefusedWhileACycleRuns();
    void triggerAcceptedBetweenCycles();
    void closeDuringRunCancelsInFlight();
    void stopIsImmediateWithAHungAgent();
    void deadAgentShowsBanner();
    void unreadablePromptFileShowsBanner();
    void savingSettingsRestartsTheRun();
    void layoutIsRestored();
    void journalledRunIsShownAgain();
    void countdownText_data();
    void countdownText();
    void statusStripWakesOnlyWhenItChanges();
    void staysResponsiveWhileTheAgentMisbehaves();

private:
    QTemporaryDir m_dir;
    int m_files = 0;
    QString settingsFile() { return m_dir.filePath(u"aimload-%1.ini"_s.arg(++m_files)); }
};

namespace {

const QStringList FastAgent {u"--simulate"_s, u"--sim-speed"_s, u"1000"_s, u"--sim-failure-rate"_s,
    u"0"_s, u"--seed"_s, u"3"_s};

qint64 columnValue(const QAbstractItemModel& model, int row, int column)
{
    return model.index(row, column).data(Qt::UserRole).toLongLong();
}

QString labelText(QWidget& window, const QString& name)
{
    return window.findChild<QLabel*>(name)->text();
}

} // namespace

void TestMainWindow::initTestCase()
{
    // Whatever a test forgets to point elsewhere lands in a test location, not the user's.
    QStandardPaths::setTestModeEnabled(true);
}

void TestMainWindow::startFillsTableStatisticsAndComparison()
{
    aimload::AppSettings settings(settingsFile());
    MainWindow window(&settings, launchWith(FastAgent + QStringList {u"--pacing"_s, u"300ms"_s}));
    window.show();
    aimload::RunController* run = window.run();

    findAction(window, u"actionStart"_s)->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(run->cyclesCompleted() >= 3, 20000);
    findAction(window, u"actionStop"_s)->trigger();
    QCOMPARE(run->state(), LoadEngine::State::Stopped);
    window.flushViews();

    const aimload::StatsAggregator& stats = *run->stats();
    const aimload::StatsRow total = stats.total();
    QVERIFY(total.requests >= 6);
    QCOMPARE(window.requestModel()->rowCount(), int(total.requests + total.cancelled));

    // Statistics: the aggregated row is the last one and counts what the aggregator has.
    const aimload::StatsTableModel& table = *window.statsModel();
    const int aggregated = table.rowCount() - 1;
    QCOMPARE(table.rowKind(aggregated), aimload::StatsTableModel::RowKind::Aggregated);
    QCOMPARE(columnValue(table, aggregated, aimload::StatsTableModel::Requests), total.requests);
    QCOMPARE(columnValue(table, aggregated, aimload::StatsTableModel::Fails), total.failures);
    QCOMPARE(table.rowAt(aggregated).medianMs, total.medianMs);

    // A/B comparison: the overall row holds each model's totals.
    const aimload::AbComparisonModel& comparison = *window.comparisonModel();
    const auto& overall = comparison.rowAt(comparison.rowCount() - 1);
    QVERIFY(overall.isOverall());
    QCOMPARE(overall.a.requests, stats.modelTotal(Model::A).requests);
    QCOMPARE(overall.b.requests, stats.modelTotal(Model::B).requests);
    QCOMPARE(overall.a.requests, overall.b.requests);

    // The detail pane shows the selected request as it went out and as it came back.
    auto* page = window.findChild<aimload::RequestsPage*>();
    page->selectRow(0);
    const aimload::RequestRecord& newest = window.requestModel()->rowAt(0);
    const QString detail = page->detailText();
    QVERIFY2(detail.contains(newest.message), qPrintable(detail));
    QVERIFY(detail.contains(u"POST"_s));
    QVERIFY(detail.contains(run->session()->agentUrl().toString()));
    QVERIFY(detail.contains(
        newest.endpoint == aimload::Endpoint::Chat ? u"\"message\": "_s : u"workflow="_s));
    QVERIFY(detail.contains(newest.modelUsed));

    // The status strip shows the same counts.
    QVERIFY2(labelText(window, u"requestsLabel"_s).contains(u"%1 ok"_s.arg(total.requests)),
        qPrintable(labelText(window, u"requestsLabel"_s)));
    QVERIFY(labelText(window, u"stateLabel"_s).contains(u"stopped"_s));
}

void TestMainWindow::actionsFollowTheState()
{
    aimload::AppSettings settings(settingsFile());
    MainWindow window(&settings, launchWith(FastAgent));
    QAction* start = findAction(window, u"actionStart"_s);
    QAction* stop = findAction(window, u"actionStop"_s);
    QAction* trigger = findAction(window, u"actionTriggerNow"_s);

    QVERIFY(start->isEnabled());
    QVERIFY(!stop->isEnabled());
    QVERIFY(!trigger->isEnabled());
    QVERIFY(!start->shortcut().isEmpty());
    QVERIFY(start->toolTip().contains(start->shortcut().toString(QKeySequence::NativeText)));

    start->trigger();
    QTRY_COMPARE(window.run()->state(), LoadEngine::State::Running);
    QVERIFY(!start->isEnabled());
    QVERIFY(stop->isEnabled());
    QVERIFY(trigger->isEnabled());

    stop->trigger();
    QVERIFY(start->isEnabled());
    QVERIFY(!stop->isEnabled());
    QVERIFY(!trigger->isEnabled());
}

void TestMainWindow::triggerRefusedWhileACycleRuns()
{
    // Slow answers keep the first cycle running long enough to press the button.
    aimload::AppSettings settings(settingsFile());
    MainWindow window(&settings,
        launchWith({u"--simulate"_s, u"--sim-speed"_s, u"0.5"_s, u"--pacing"_s, u"10m"_s}));
    findAction(window, u"actionStart"_s)->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(window.run()->requestsInFlight() > 0, 10000);

    findAction(window, u"actionTriggerNow"_s)->trigger();
    const QString banner = window.banner()->message(BannerBar::Topic::Trigger);
    QVERIFY2(banner.contains(u"cycle 1 is still running"_s), qPrintable(banner));
    QVERIFY(window.statusBar()->currentMessage().contains(u"still running"_s));
    QCOMPARE(window.run()->cyclesCompleted(), 0u);
    findAction(window, u"actionStop"_s)->trigger();
}

void TestMainWindow::triggerAcceptedBetweenCycles()
{
    aimload::AppSettings settings(settingsFile());
    MainWindow window(&settings, launchWith(FastAgent + QStringList {u"--pacing"_s, u"10m"_s}));
    findAction(window, u"actionStart"_s)->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(window.run()->cyclesCompleted(), 1u, 10000);

    findAction(window, u"actionTriggerNow"_s)->trigger();
    QVERIFY(!window.banner()->hasMessage(BannerBar::Topic::Trigger));
    QTRY_COMPARE_WITH_TIMEOUT(window.run()->cyclesCompleted(), 2u, 10000);
    findAction(window, u"actionStop"_s)->trigger();
}

void TestMainWindow::closeDuringRunCancelsInFlight()
{
    aimload::SimulatedAgent agent;
    agent.setFault(aimload::SimulatedAgent::Fault::Hang);
    QVERIFY(agent.listen());

    aimload::AppSettings settings(settingsFile());
    MainWindow window(
        &settings, launchWith({u"--host"_s, agent.url().toString(), u"--no-wait-healthy"_s}));
    window.show();
    findAction(window, u"actionStart"_s)->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(window.run()->requestsInFlight() > 0, 10000);

    QElapsedTimer timer;
    timer.start();
    QVERIFY(window.close());
    QVERIFY2(timer.elapsed() < 2000, "closing waited for the hung agent");
    QCOMPARE(window.run()->state(), LoadEngine::State::Stopped);
    QCOMPARE(window.run()->requestsInFlight(), 0);
    QVERIFY(window.run()->requestsCancelled() > 0);

    const aimload::RequestTableModel& requests = *window.requestModel();
    QVERIFY(requests.rowCount() > 0);
    for (int row = 0; row < requests.rowCount(); ++row)
        QCOMPARE(requests.rowAt(row).outcome, Outcome::Cancelled);
}

void TestMainWindow::stopIsImmediateWithAHungAgent()
{
    aimload::SimulatedAgent agent;
    agent.setFault(aimload::SimulatedAgent::Fault::Hang);
    QVERIFY(agent.listen());

    aimload::AppSettings settings(settingsFile());
    MainWindow window(&settings, launchWith({u"--host"_s, agent.url().toString()}));
    findAction(window, u"actionStart"_s)->trigger();
    QCOMPARE(window.run()->state(), LoadEngine::State::WaitingForAgent);
    QTest::qWait(200);

    QElapsedTimer timer;
    timer.start();
    findAction(window, u"actionStop"_s)->trigger();
    QVERIFY(timer.elapsed() < 500);
    QCOMPARE(window.run()->state(), LoadEngine::State::Stopped);
    QVERIFY(findAction(window, u"actionStart"_s)->isEnabled());
}

void TestMainWindow::deadAgentShowsBanner()
{
    const QString url = u"http://127.0.0.1:%1"_s.arg(closedPort());
    aimload::AppSettings settings(settingsFile());
    MainWindow window(&settings, launchWith({u"--host"_s, url}));
    window.show();

    // The window probes at once, before anything is started.
    QTRY_VERIFY_WITH_TIMEOUT(window.banner()->hasMessage(BannerBar::Topic::Agent), 10000);
    const QString idle = window.banner()->message(BannerBar::Topic::Agent);
    QVERIFY2(idle.contains(url) && idle.contains(u"refused"_s), qPrintable(idle));
    QCOMPARE(window.run()->health(), aimload::RunController::Health::Unhealthy);
    QVERIFY(window.findChild<QLabel*>(u"healthLight"_s)->toolTip().contains(u"refused"_s));

    // Started, it waits for the agent and says so; the controls stay usable.
    findAction(window, u"actionStart"_s)->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(
        window.banner()->message(BannerBar::Topic::Agent).startsWith(u"Waiting for the agent"_s),
        10000);
    QVERIFY(labelText(window, u"stateLabel"_s).contains(u"waiting for the agent"_s));
    QVERIFY(findAction(window, u"actionStop"_s)->isEnabled());
    QVERIFY(!findAction(window, u"actionTriggerNow"_s)->isEnabled());
    findAction(window, u"actionStop"_s)->trigger();
    QCOMPARE(window.run()->state(), LoadEngine::State::Stopped);
}

void TestMainWindow::unreadablePromptFileShowsBanner()
{
    const QString missing = m_dir.filePath(u"no-such-pool.json"_s);
    aimload::AppSettings settings(settingsFile());
    MainWindow window(&settings, launchWith({u"--simulate"_s, u"--prompts"_s, missing}));

    QVERIFY(window.banner()->hasMessage(BannerBar::Topic::Settings));
    const QString text = window.banner()->message(BannerBar::Topic::Settings);
    QVERIFY2(text.contains(missing), qPrintable(text));
    QVERIFY(!findAction(window, u"actionStart"_s)->isEnabled());
    QVERIFY(findAction(window, u"actionSettings"_s)->isEnabled());
    QCOMPARE(window.run()->session(), nullptr);
    QVERIFY(labelText(window, u"stateLabel"_s).contains(u"check the settings"_s));

    // Nothing to trigger, nothing to crash on.
    findAction(window, u"actionStart"_s)->trigger();
    findAction(window, u"actionTriggerNow"_s)->trigger();
    QCOMPARE(window.run()->state(), LoadEngine::State::Idle);
}

void TestMainWindow::savingSettingsRestartsTheRun()
{
    aimload::AppSettings settings(settingsFile());
    MainWindow window(&settings, launchWith(FastAgent + QStringList {u"--pacing"_s, u"10m"_s}));
    window.show();
    findAction(window, u"actionStart"_s)->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(window.run()->cyclesCompleted(), 1u, 10000);
    window.flushViews();
    const int rowsBefore = window.requestModel()->rowCount();
    const aimload::LoadSession* before = window.run()->session();

    findAction(window, u"actionSettings"_s)->trigger();
    aimload::SettingsDialog* dialog = window.settingsDialog();
    QVERIFY(dialog && dialog->isVisible());
    QVERIFY(dialog->findChild<QLabel*>(u"noticeLabel"_s)->isVisibleTo(dialog));
    // The dialog shows the pacing this launch runs with, not the stored default.
    auto* pacing = dialog->findChild<QLineEdit*>(u"pacingEdit"_s);
    QCOMPARE(pacing->text(), u"10m"_s);
    pacing->setText(u"5m"_s);
    dialog->accept();

    QVERIFY(window.run()->session() != before);
    QCOMPARE(window.run()->options().pacing, std::chrono::minutes(5));
    QCOMPARE(settings.pacing(), std::chrono::minutes(5));
    QTRY_COMPARE_WITH_TIMEOUT(window.run()->state(), LoadEngine::State::Running, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(window.run()->cyclesCompleted(), 2u, 10000);
    window.flushViews();
    QVERIFY(window.requestModel()->rowCount() > rowsBefore);
    findAction(window, u"actionStop"_s)->trigger();
}

void TestMainWindow::layoutIsRestored()
{
    const QString file = settingsFile();
    {
        aimload::AppSettings settings(file);
        MainWindow window(&settings, launchWith(FastAgent));
        window.resize(1000, 700);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.findChild<QTabWidget*>(u"pages"_s)->setCurrentIndex(2);
        window.close();
    }
    aimload::AppSettings settings(file);
    QVERIFY(!settings.uiState(aimload::AppSettings::UiState::Geometry).isEmpty());
    MainWindow window(&settings, launchWith(FastAgent));
    QCOMPARE(window.size(), QSize(1000, 700));
    QCOMPARE(window.findChild<QTabWidget*>(u"pages"_s)->currentIndex(), 2);
}

void TestMainWindow::journalledRunIsShownAgain()
{
    const QStringList arguments = FastAgent
        + QStringList {u"--pacing"_s, u"10m"_s, u"--db"_s, m_dir.filePath(u"journal.db"_s)};
    qint64 requestsBefore = 0;
    QByteArray oldestBody;
    {
        aimload::AppSettings settings(settingsFile());
        MainWindow window(&settings, launchWith(arguments));
        findAction(window, u"actionStart"_s)->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(window.run()->cyclesCompleted(), 1u, 10000);
        findAction(window, u"actionTriggerNow"_s)->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(window.run()->cyclesCompleted(), 2u, 10000);
        requestsBefore = window.run()->stats()->total().requests;
        window.flushViews();
        oldestBody = window.requestModel()->rowAt(int(requestsBefore) - 1).body;
        window.close();
    }
    QVERIFY(!oldestBody.isEmpty());
    QCOMPARE(requestsBefore, 4);

    // A new window continues the journal's run and shows what it holds.
    aimload::AppSettings settings(settingsFile());
    MainWindow window(&settings, launchWith(arguments));
    window.flushViews();
    QCOMPARE(window.run()->stats()->total().requests, requestsBefore);
    QCOMPARE(window.requestModel()->rowCount(), int(requestsBefore));
    QCOMPARE(window.run()->cyclesCompleted(), 2u);
    QVERIFY(window.run()->runStartedAt().isValid());

    // The restored rows hold no answers; the pane reads the selected one from the journal.
    const int oldest = int(requestsBefore) - 1;
    QVERIFY(!window.requestModel()->isBodyAvailable(oldest));
    auto* page = window.findChild<aimload::RequestsPage*>();
    page->selectRow(oldest);
    const QString detail = page->detailText();
    const QString answer = aimload::RequestTableModel::prettyBody(oldestBody);
    QVERIFY2(detail.contains(answer.left(40)), qPrintable(detail));
    QVERIFY2(!detail.contains(u"no longer kept"_s), qPrintable(detail));

    // The journal's run, ended when the first window stopped, goes on again until Stop.
    aimload::Journal* journal = window.run()->session()->journal();
    QVERIFY(journal);
    QVERIFY(journal->runs().constFirst().endedAt.isValid());
    findAction(window, u"actionStart"_s)->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(window.run()->cyclesCompleted(), 3u, 10000);
    QVERIFY(!journal->runs().constFirst().endedAt.isValid());
    window.flushViews();
    QCOMPARE(window.requestModel()->rowAt(0).cycle, 3u);
    findAction(window, u"actionStop"_s)->trigger();
    QCOMPARE(journal->runs().size(), 1);
    QTRY_VERIFY(journal->runs().constFirst().endedAt.isValid());
    QCOMPARE(journal->runs().constFirst().requests, requestsBefore + 2);
}

void TestMainWindow::countdownText_data()
{
    QTest::addColumn<qint64>("remainingMs");
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("changeInMs");

    // The sample clock reads 10:00:00.000; the next cycle is remainingMs later.
    QTest::newRow("twelveMinutes") << 720'000LL << u"10:12:00 (in 12 min)"_s << 60'000LL;
    QTest::newRow("justUnderTwelve") << 719'999LL << u"10:11:59 (in 12 min)"_s << 59'999LL;
    QTest::newRow("justOverEleven") << 660'001LL << u"10:11:00 (in 12 min)"_s << 1LL;
    QTest::newRow("elevenMinutes") << 660'000LL << u"10:11:00 (in 11 min)"_s << 60'000LL;
    QTest::newRow("justOverAMinute") << 60'500LL << u"10:01:00 (in 2 min)"_s << 500LL;
    QTest::newRow("oneMinute") << 60'000LL << u"10:01:00 (in 1:00)"_s << 1'000LL;
    QTest::newRow("lastSeconds") << 42'300LL << u"10:00:42 (in 0:43)"_s << 300LL;
    QTest::newRow("now") << 0LL << u"10:00:00 (in 0:00)"_s << 1'000LL;
    QTest::newRow("hours") << 3 * 3'600'000LL + 60'000LL << u"13:01:00 (in 3 h 1 min)"_s
                           << 60'000LL;
}

void TestMainWindow::countdownText()
{
    QFETCH(qint64, remainingMs);
    QFETCH(QString, text);
    QFETCH(qint64, changeInMs);

    const QDateTime now(QDate(2026, 3, 1), QTime(10, 0));
    QCOMPARE(aimload::StatusStrip::countdownText(remainingMs, now), text);
    QCOMPARE(aimload::StatusStrip::countdownChangeInMs(remainingMs), changeInMs);
    // Just before that, the text is still the same; at it, it differs.
    if (changeInMs > 1) {
        QCOMPARE(
            aimload::StatusStrip::countdownText(remainingMs - changeInMs + 1, now).section(u'(', 1),
            text.section(u'(', 1));
    }
    if (remainingMs >= changeInMs) {
        QVERIFY(aimload::StatusStrip::countdownText(remainingMs - changeInMs, now).section(u'(', 1)
            != text.section(u'(', 1));
    }
}

// Between cycles minutes apart the strip wakes once a minute, and not at all while the
// window is minimised.
void TestMainWindow::statusStripWakesOnlyWhenItChanges()
{
    aimload::AppSettings settings(settingsFile());
    MainWindow window(&settings, launchWith(FastAgent + QStringList {u"--pacing"_s, u"10m"_s}));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(window.statusTimerRemainingMs(), -1); // stopped: nothing moves

    findAction(window, u"actionStart"_s)->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(window.run()->cyclesCompleted(), 1u, 10000);
    QTRY_COMPARE(window.run()->requestsInFlight(), 0);
    window.flushViews();
    const int remaining = window.statusTimerRemainingMs();
    QVERIFY2(remaining > 1000 && remaining <= 60'000, qPrintable(QString::number(remaining)));
    QVERIFY2(labelText(window, u"countdownLabel"_s).contains(u"(in 10 min)"_s),
        qPrintable(labelText(window, u"countdownLabel"_s)));

    window.showMinimized();
    QCOMPARE(window.statusTimerRemainingMs(), -1);
    window.showNormal();
    QVERIFY(window.statusTimerRemainingMs() > 0);
    findAction(window, u"actionStop"_s)->trigger();
    QCOMPARE(window.statusTimerRemainingMs(), -1);
}

QTEST_MAIN(TestMainWindow)
// Every kind of misbehaviour the raw fault server knows, one per cycle, with the window open
// and a request table that keeps the answers: each request gets its own outcome, and the
// window's event loop never stalls.
void TestMainWindow::staysResponsiveWhileTheAgentMisbehaves()
{
    using aimload::test::FaultServer;
    using Action = FaultServer::Action;
    const QByteArray answer = R"({"response":"All fine.","model_used":"m","latency_seconds":0.1,)"
                              R"("timestamp":"2025-03-01T10:15:30"})";
    struct Step
    {
        FaultServer::Step step;
        const char* outcome;
    };
    // Both requests of a cycle (A/B in parallel) get the same step. Qt sends a request
    // again after a reset before the headers are complete, which would shift the script:
    // that step comes last and repeats.
    const QList<Step> steps {
        {FaultServer::answer(FaultServer::response(200, "OK", answer)), "ok"},
        {FaultServer::answer(
             FaultServer::response(504, "Gateway Timeout", R"({"detail":"upstream timed out"})")),
            "http_error"},
        {FaultServer::step(Action::Stream), "invalid_response"}, // 64 MiB against the 8 MiB cap
        {FaultServer::step(Action::Drip, FaultServer::response(200, "OK", answer)), "timeout"},
        {FaultServer::answer(FaultServer::response(
             429, "Too Many Requests", R"({"detail":"slow down"})", "Retry-After: 1\r\n")),
            "http_error"},
        {FaultServer::answer(FaultServer::response(302, "Found", {}, "Location: /elsewhere\r\n")),
            "http_error"},
        {FaultServer::answer("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13"
                             "\r\n\r\n<html></html>"),
            "invalid_response"},
        {FaultServer::answer(FaultServer::response(200, "OK", answer.left(30))),
            "invalid_response"},
        {FaultServer::step(Action::Hang), "timeout"},
        {FaultServer::step(Action::ResetAfterBytes, "HTTP/1.1 200 OK\r\nContent-Ty"),
            "connection_error"},
    };
    FaultServer server;
    QVERIFY(server.listen());
    QList<FaultServer::Step> script;
    for (const Step& step : steps)
        script << step.step << step.step;
    server.setScript(script);
    server.setStreamBytes(qint64(64) << 20);
    server.setDripInterval(20ms);

    QFile poolFile(m_dir.filePath(u"chat-only.json"_s));
    QVERIFY(poolFile.open(QIODevice::WriteOnly));
    poolFile.write(R"({"version": 1, "groups": [{"name": "chat", "weight": 1, "prompts": [
        {"id": "status", "description": "Status question", "text": "How are the services?",
         "endpoint": "/chat", "expected_tool_calls": 0, "expect_success": true}]}]})");
    poolFile.close();

    aimload::AppSettings settings(settingsFile());
    MainWindow window(&settings,
        launchWith({u"--host"_s, server.url().toString(), u"--prompts"_s, poolFile.fileName(),
            u"--pacing"_s, u"500ms"_s, u"--chat-timeout"_s, u"300ms"_s, u"--ab"_s, u"parallel"_s,
            u"--cycles"_s, QString::number(steps.size())}));
    window.show();

    // A 10 ms timer on the window's thread: the longest gap between its ticks is the
    // longest the window could not react to anything.
    QElapsedTimer sinceTick;
    qint64 longestStallMs = 0;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    connect(&probe, &QTimer::timeout, &probe,
        [&] { longestStallMs = std::max(longestStallMs, sinceTick.restart()); });
    sinceTick.start();
    probe.start(10);

    findAction(window, u"actionStart"_s)->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(window.run()->state(), LoadEngine::State::Stopped, 30000);
    probe.stop();
    window.flushViews();

    const auto* model = window.requestModel();
    QCOMPARE(model->rowCount(), 2 * int(steps.size()));
    for (int row = 0; row < model->rowCount(); ++row) {
        const aimload::RequestRecord& record = model->rowAt(row);
        QVERIFY(record.cycle >= 1 && record.cycle <= quint64(steps.size()));
        QCOMPARE(aimload::outcomeName(record.outcome),
            QString::fromLatin1(steps.at(qsizetype(record.cycle) - 1).outcome));
    }
    QCOMPARE(window.run()->cyclesCompleted(), quint64(steps.size()));
    QVERIFY2(server.streamedBytes() < (qint64(64) << 20),
        qPrintable(u"the server wrote %1 bytes"_s.arg(server.streamedBytes())));
    // Generous: a stall of a second would be plain to a presenter; the run is ten cycles
    // of misbehaviour on a machine that may be busy with other tests.
    QVERIFY2(
        longestStallMs < 1000, qPrintable(u"the window stalled for %1 ms"_s.arg(longestStallMs)));
    qInfo("longest stall of the window's event loop: %lld ms", longestStallMs);
    QVERIFY(findAction(window, u"actionStart"_s)->isEnabled());
}

#include "tst_mainwindow.moc"
