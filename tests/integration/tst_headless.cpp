// The real aimload binary, run headless as a container would run it.

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;

class HeadlessTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pacedCyclesAndSummary();
    void badInputExitsWithOneLine_data();
    void badInputExitsWithOneLine();
    void sigtermCancelsInFlightAndExitsCleanly();
    void exitCodeOnError();
    void reportsWrittenOnSigterm();
    void waitsForHealthBeforeTheFirstCycle();
    void everyLineWrittenWhileRunningAndAtExit();

private:
    static QProcessEnvironment cleanEnvironment();
    static void start(QProcess& process, const QStringList& arguments);
};

QProcessEnvironment HeadlessTest::cleanEnvironment()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    // Headless mode must need no display and no platform plugin.
    for (const QString& name :
        {u"DISPLAY"_s, u"WAYLAND_DISPLAY"_s, u"QT_QPA_PLATFORM"_s, u"AI_AGENT_URL"_s})
        environment.remove(name);
    const QStringList names = environment.keys();
    for (const QString& name : names) {
        if (name.startsWith(u"AIMLOAD_"))
            environment.remove(name);
    }
    return environment;
}

void HeadlessTest::start(QProcess& process, const QStringList& arguments)
{
    process.setProcessEnvironment(cleanEnvironment());
    // Tests that do not test the journal keep it out of the machine's /var/lib.
    const bool journal = arguments.contains(u"--db"_s);
    process.start(QStringLiteral(AIMLOAD_BINARY),
        journal ? arguments : arguments + QStringList {u"--no-db"_s});
    QVERIFY2(process.waitForStarted(5000), qPrintable(process.errorString()));
}

void HeadlessTest::pacedCyclesAndSummary()
{
    QProcess process;
    start(process,
        {u"--headless"_s, u"--simulate"_s, u"--sim-speed"_s, u"500"_s, u"--sim-failure-rate"_s,
            u"0"_s, u"--cycles"_s, u"3"_s, u"--pacing"_s, u"0.4"_s, u"--seed"_s, u"11"_s});
    QVERIFY(process.waitForFinished(30000));
    const QString output = QString::fromUtf8(process.readAllStandardOutput());
    QVERIFY2(process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0,
        qPrintable(output + QString::fromUtf8(process.readAllStandardError())));

    QCOMPARE(output.count(u"Sending prompt: "_s), 3);
    QCOMPARE(output.count(u"✓ Model A: "_s), 3);
    QCOMPARE(output.count(u"✓ Model B: "_s), 3);
    QVERIFY(output.contains(u"19 prompts in 7 groups"_s));
    QVERIFY(output.contains(u"Run ended: cycle limit reached"_s));
    QVERIFY(output.contains(u"Summary"_s));
    QVERIFY(output.contains(u"Aggregated"_s));

    // Each "Model A" line comes before its "Model B" line: sequential A/B.
    const qsizetype firstA = output.indexOf(u"✓ Model A"_s);
    const qsizetype firstB = output.indexOf(u"✓ Model B"_s);
    QVERIFY(firstA >= 0 && firstA < firstB);

    // The summary's overall row counts six requests and no failures.
    static const QRegularExpression aggregated(
        u"^Aggregated\\s+A\\+B\\s+(\\d+)\\s+(\\d+)"_s, QRegularExpression::MultilineOption);
    const QRegularExpressionMatch match = aggregated.match(output);
    QVERIFY2(match.hasMatch(), qPrintable(output));
    QCOMPARE(match.captured(1), u"6"_s);
    QCOMPARE(match.captured(2), u"0"_s);
}

void HeadlessTest::badInputExitsWithOneLine_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("expected");
    QTest::newRow("zero-pacing") << QStringList {u"--pacing"_s, u"0"_s} << u"--pacing"_s;
    QTest::newRow("negative-pacing") << QStringList {u"--pacing=-5"_s} << u"--pacing"_s;
    QTest::newRow("bad-duration") << QStringList {u"--pacing"_s, u"12 minutes"_s} << u"--pacing"_s;
    QTest::newRow("ftp-host") << QStringList {u"--host"_s, u"ftp://127.0.0.1:1"_s} << u"--host"_s;
    QTest::newRow("unknown-option") << QStringList {u"--pacng"_s, u"5"_s} << u"--pacing"_s;
    QTest::newRow("missing-prompts")
        << QStringList {u"--prompts"_s, u"/nonexistent/pool.json"_s} << u"/nonexistent/pool.json"_s;
    QTest::newRow("bad-users") << QStringList {u"--users"_s, u"0"_s} << u"--users"_s;
}

void HeadlessTest::badInputExitsWithOneLine()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, expected);

    // A listening socket stands in for the agent: nothing may reach it.
    QTcpServer agent;
    QVERIFY(agent.listen(QHostAddress::LocalHost));
    QProcess process;
    start(process,
        QStringList {u"--headless"_s, u"--no-wait-healthy"_s, u"--host"_s,
            u"http://127.0.0.1:%1"_s.arg(agent.serverPort())}
            + arguments);
    QVERIFY(process.waitForFinished(10000));

    QCOMPARE(process.exitCode(), 2);
    const QString error = QString::fromUtf8(process.readAllStandardError());
    QCOMPARE(error.count(u'\n'), 1);
    QVERIFY2(error.startsWith(u"aimload: "_s), qPrintable(error));
    QVERIFY2(error.contains(expected), qPrintable(error));
    QVERIFY(process.readAllStandardOutput().isEmpty());
    QTest::qWait(50);
    QVERIFY(!agent.hasPendingConnections());
}

void HeadlessTest::sigtermCancelsInFlightAndExitsCleanly()
{
    QProcess process;
    // At this speed an answer takes minutes, so the first requests are still in flight.
    start(process,
        {u"--headless"_s, u"--simulate"_s, u"--sim-speed"_s, u"0.01"_s, u"--ab"_s, u"parallel"_s});
    QByteArray early;
    QTRY_VERIFY_WITH_TIMEOUT(
        (early += process.readAllStandardOutput()).contains("Sending prompt"), 10000);

    QElapsedTimer elapsed;
    elapsed.start();
    ::kill(pid_t(process.processId()), SIGTERM);
    QVERIFY(process.waitForFinished(5000));
    QVERIFY2(elapsed.elapsed() < 2000, "SIGTERM must finish within 2 s");
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 0);

    const QString output = QString::fromUtf8(early + process.readAllStandardOutput());
    QVERIFY2(output.contains(u"Received SIGTERM"_s), qPrintable(output));
    QCOMPARE(output.count(u"cancelled: "_s), 2);
    QVERIFY(output.contains(u"Summary"_s));
}

void HeadlessTest::reportsWrittenOnSigterm()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString prefix = dir.filePath(u"run"_s);
    QProcess process;
    start(process,
        {u"--headless"_s, u"--simulate"_s, u"--sim-speed"_s, u"0.01"_s, u"--csv"_s, prefix,
            u"--html"_s, dir.filePath(u"run.html"_s), u"--json"_s, dir.filePath(u"run.json"_s)});
    QByteArray early;
    QTRY_VERIFY_WITH_TIMEOUT(
        (early += process.readAllStandardOutput()).contains("Sending prompt"), 10000);

    ::kill(pid_t(process.processId()), SIGTERM);
    QVERIFY(process.waitForFinished(5000));
    QCOMPARE(process.exitCode(), 0);

    for (const QString& suffix : {u"_stats.csv"_s, u"_failures.csv"_s, u"_stats_history.csv"_s,
             u"_requests.csv"_s, u".html"_s, u".json"_s})
        QVERIFY2(QFile::exists(prefix + suffix), qPrintable(prefix + suffix));
    QVERIFY(!QFile::exists(prefix + u"_requests.csv.partial"_s));

    // Model A was in flight when the signal came: its row says so.
    QFile requests(prefix + u"_requests.csv"_s);
    QVERIFY(requests.open(QIODevice::ReadOnly));
    const QByteArray csv = requests.readAll();
    QCOMPARE(csv.count("\r\n"), 2);
    QVERIFY2(csv.contains(",cancelled,"), csv.constData());
}

void HeadlessTest::exitCodeOnError()
{
    QProcess process;
    start(process,
        {u"--headless"_s, u"--simulate"_s, u"--sim-speed"_s, u"500"_s, u"--sim-failure-rate"_s,
            u"1"_s, u"--cycles"_s, u"1"_s, u"--exit-code-on-error"_s, u"3"_s});
    QVERIFY(process.waitForFinished(30000));
    const QString output = QString::fromUtf8(process.readAllStandardOutput());
    QVERIFY2(output.contains(u"✗ Model A"_s), qPrintable(output));
    QCOMPARE(process.exitCode(), 3);
}

void HeadlessTest::waitsForHealthBeforeTheFirstCycle()
{
    // Nothing listens on this port at first; the agent appears a little later.
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost));
    const quint16 port = probe.serverPort();
    probe.close();

    QProcess process;
    start(process,
        {u"--headless"_s, u"--host"_s, u"http://127.0.0.1:%1"_s.arg(port), u"--run-time"_s,
            u"2500ms"_s});
    QVERIFY(process.waitForFinished(15000));
    const QString output = QString::fromUtf8(process.readAllStandardOutput());
    QCOMPARE(process.exitCode(), 0);
    QVERIFY2(output.contains(u"Waiting for the agent at"_s), qPrintable(output));
    QVERIFY2(output.contains(u"connection refused"_s), qPrintable(output));
    QVERIFY(output.contains(u"retrying in 1s"_s));
    QVERIFY(output.contains(u"retrying in 2s"_s));
    QVERIFY(!output.contains(u"Sending prompt"_s));
    QVERIFY(output.contains(u"Run ended: run time reached"_s));
}

void HeadlessTest::everyLineWrittenWhileRunningAndAtExit()
{
    // Many lines a second: stdout is written in batches, yet a line shows up within a
    // fraction of a second and none is missing when the run ends.
    QProcess process;
    start(process,
        {u"--headless"_s, u"--simulate"_s, u"--sim-speed"_s, u"1000"_s, u"--sim-failure-rate"_s,
            u"0.2"_s, u"--users"_s, u"20"_s, u"--spawn-rate"_s, u"20"_s, u"--pacing"_s, u"5ms"_s,
            u"--run-time"_s, u"2500ms"_s, u"--seed"_s, u"7"_s});
    QByteArray early;
    QTRY_VERIFY_WITH_TIMEOUT(
        (early += process.readAllStandardOutput()).contains("Sending prompt"), 2000);
    QCOMPARE(process.state(), QProcess::Running);
    QVERIFY(process.waitForFinished(30000));
    const QString output = QString::fromUtf8(early + process.readAllStandardOutput());
    QCOMPARE(process.exitCode(), 0);

    static const QRegularExpression aggregated(
        u"^Aggregated\\s+A\\+B\\s+(\\d+)\\s+(\\d+)"_s, QRegularExpression::MultilineOption);
    const QRegularExpressionMatch match = aggregated.match(output);
    QVERIFY2(match.hasMatch(), qPrintable(output.right(2000)));
    const qsizetype requests = match.captured(1).toLongLong();
    QVERIFY2(requests > 100, qPrintable(match.captured(0)));
    static const QRegularExpression requestLine(
        u"^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z [✓✗] Model [AB]: "_s,
        QRegularExpression::MultilineOption);
    // The summary leaves out the requests cancelled when the run time was up.
    qsizetype lines = 0;
    qsizetype cancelled = 0;
    for (auto it = requestLine.globalMatch(output); it.hasNext();) {
        const QRegularExpressionMatch line = it.next();
        const qsizetype end = output.indexOf(u'\n', line.capturedEnd());
        if (QStringView(output)
                .mid(line.capturedEnd(), end - line.capturedEnd())
                .contains(u" cancelled: "_s))
            ++cancelled;
        else
            ++lines;
    }
    QCOMPARE(lines, requests);
    QVERIFY(cancelled <= 20);
    QVERIFY(output.contains(u"Run ended: run time reached"_s));
}

QTEST_GUILESS_MAIN(HeadlessTest)
#include "tst_headless.moc"
