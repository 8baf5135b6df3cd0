// A journal writer killed with SIGKILL loses nothing it reported as recorded.

#include "journalcrashrecord.h"
#include "storage/journal.h"

#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using aimload::Journal;
using aimload::RequestRecord;

class JournalCrashTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void killedWriterLosesNothing_data();
    void killedWriterLosesNothing();

private:
    static quint64 lastRecorded(const QByteArray& output);
};

quint64 JournalCrashTest::lastRecorded(const QByteArray& output)
{
    static const QRegularExpression line(u"recorded (\\d+)\\n"_s);
    quint64 last = 0;
    auto matches = line.globalMatch(QString::fromUtf8(output));
    while (matches.hasNext())
        last = matches.next().captured(1).toULongLong();
    return last;
}

void JournalCrashTest::killedWriterLosesNothing_data()
{
    QTest::addColumn<int>("count");

    // Killed while it sleeps after its last record, and killed in the middle of writing.
    QTest::newRow("whileIdle") << 50;
    QTest::newRow("whileWriting") << 10'000'000;
}

void JournalCrashTest::killedWriterLosesNothing()
{
    QFETCH(int, count);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(u"journal.sqlite"_s);

    QProcess writer;
    writer.start(QStringLiteral(JOURNAL_CRASH_WRITER), {path, QString::number(count)});
    QVERIFY2(writer.waitForStarted(5000), qPrintable(writer.errorString()));
    QByteArray output;
    const auto readOutput = [&writer, &output] {
        output += writer.readAllStandardOutput();
        return lastRecorded(output);
    };
    QTRY_VERIFY2_WITH_TIMEOUT(readOutput() >= 50 || writer.state() == QProcess::NotRunning,
        output.right(200).constData(), 30000);
    QVERIFY2(writer.state() == QProcess::Running, writer.readAllStandardError().constData());

    writer.kill(); // SIGKILL: no destructor, no close, no checkpoint
    QVERIFY(writer.waitForFinished(5000));
    QCOMPARE(writer.exitStatus(), QProcess::CrashExit);
    const quint64 reported = readOutput();
    QVERIFY(reported >= 50);

    Journal journal;
    QString error;
    QVERIFY2(journal.open(path, &error), qPrintable(error));
    QCOMPARE(journal.runs().size(), 1);
    const aimload::RunInfo run = journal.runs().constFirst();
    QVERIFY(!run.endedAt.isValid()); // the writer never ended its run
    QCOMPARE(run.agentUrl, u"http://127.0.0.1:9"_s);

    QList<RequestRecord> records;
    journal.forEachRecord(
        run.id, [&records](const RequestRecord& record) { records.append(record); });
    // Everything reported as recorded, possibly one more committed just before the kill.
    QVERIFY2(quint64(records.size()) >= reported,
        qPrintable(u"%1 rows, %2 reported"_s.arg(records.size()).arg(reported)));
    QVERIFY(quint64(records.size()) <= reported + 1);
    qint64 inStats = 0;
    for (qsizetype i = 0; i < records.size(); ++i) {
        const QStringList differences = journalCrashDifferences(records.at(i), quint64(i + 1));
        QVERIFY2(differences.isEmpty(),
            qPrintable(u"row %1 differs in %2"_s.arg(i + 1).arg(differences.join(u", "))));
        inStats += records.at(i).finished() ? 1 : 0;
    }
    QCOMPARE(run.requests, inStats);

    QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"integrity"_s);
    db.setDatabaseName(path);
    QVERIFY(db.open());
    {
        QSqlQuery query(db);
        QVERIFY(query.exec(u"PRAGMA integrity_check"_s) && query.next());
        QCOMPARE(query.value(0).toString(), u"ok"_s);
        QVERIFY(query.exec(u"SELECT count(*) FROM requests"_s) && query.next());
        QCOMPARE(query.value(0).toLongLong(), records.size());
    }
    db.close();
    db = QSqlDatabase();
    QSqlDatabase::removeDatabase(u"integrity"_s);
}

QTEST_GUILESS_MAIN(JournalCrashTest)
#include "tst_journalcrash.moc"
