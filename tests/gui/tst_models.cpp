#include "models/failuresmodel.h"
#include "models/logfiltermodel.h"
#include "models/logmodel.h"
#include "models/requestfiltermodel.h"
#include "models/requesttablemodel.h"
#include "recordfactory.h"

#include <QAbstractItemModelTester>
#include <QColor>
#include <QGuiApplication>
#include <QPalette>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using aimload::EventLog;
using aimload::FailuresModel;
using aimload::LogFilterModel;
using aimload::LogModel;
using aimload::Model;
using aimload::Outcome;
using aimload::RequestFilterModel;
using aimload::RequestRecord;
using aimload::RequestTableModel;

namespace {

constexpr auto Reporting = QAbstractItemModelTester::FailureReportingMode::QtTest;

QList<quint64> idsOf(const QAbstractItemModel& model)
{
    QList<quint64> ids;
    for (int row = 0; row < model.rowCount(); ++row)
        ids.append(model.index(row, 0).data(RequestTableModel::RecordIdRole).toULongLong());
    return ids;
}

QString cell(const QAbstractItemModel& model, int row, int column)
{
    return model.index(row, column).data().toString();
}

// Four requests of two cycles: ids 1 to 4.
void fillMixed(RequestTableModel& model, RecordFactory& factory)
{
    model.addFinished(factory.finished(u"simple_chat"_s, Model::A, Outcome::Ok, 9000));
    model.addFinished(factory.finished(u"simple_chat"_s, Model::B, Outcome::HttpError, 10000,
        u"HTTP 500 Internal Server Error: database unreachable"_s));
    model.addFinished(factory.finished(
        u"mcp_healthy"_s, Model::A, Outcome::Timeout, 800, u"no complete answer within 660 s"_s));
    model.addFinished(factory.finished(u"mcp_healthy"_s, Model::B, Outcome::Cancelled, 120,
        u"cancelled before the agent answered"_s));
    model.flush();
}

} // namespace

class TestModels : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestsNewestFirst();
    void requestsBatchedPerTick();
    void inFlightRowUpdatedInPlace();
    void finishedWithoutStartGetsRow();
    void capacityDropsOldest();
    void bodiesKeptForNewestOnly();
    void requestTexts_data();
    void requestTexts();
    void outcomeColourFollowsPalette();
    void prettyBody_data();
    void prettyBody();
    void prettyBodyTruncated();

    void filters_data();
    void filters();
    void filterFollowsLiveRows();
    void sortByLatencyIsNumeric();

    void normalizedMessage_data();
    void normalizedMessage();
    void failuresGrouped();
    void failuresBounded();

    void logFedByEventLog();
    void logBounded();
    void logLevelFilter();
};

void TestModels::requestsNewestFirst()
{
    RequestTableModel model;
    QAbstractItemModelTester tester(&model, Reporting);
    RecordFactory factory;

    for (int i = 0; i < 3; ++i)
        model.addStarted(factory.started(u"simple_chat"_s, Model::A));
    QCOMPARE(model.rowCount(), 0);
    model.flush();
    QCOMPARE(idsOf(model), (QList<quint64> {3, 2, 1}));

    model.addStarted(factory.started(u"simple_chat"_s, Model::B));
    model.flush();
    QCOMPARE(idsOf(model), (QList<quint64> {4, 3, 2, 1}));
    QCOMPARE(model.rowAt(0).id, 4u);
    QCOMPARE(model.inFlightCount(), 4);
}

void TestModels::requestsBatchedPerTick()
{
    RequestTableModel model;
    QAbstractItemModelTester tester(&model, Reporting);
    RecordFactory factory;
    model.addStarted(factory.started(u"simple_chat"_s, Model::A));
    model.flush();

    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    for (int i = 0; i < 10; ++i)
        model.addFinished(factory.finished(u"simple_chat"_s, Model::A, Outcome::Ok, 1000));
    model.flush();

    QCOMPARE(inserted.count(), 1);
    QCOMPARE(inserted.at(0).at(1).toInt(), 0);
    QCOMPARE(inserted.at(0).at(2).toInt(), 9);
    QCOMPARE(reset.count(), 0);
    QCOMPARE(model.rowCount(), 11);

    // The timer applies the queue by itself too.
    model.setUpdateInterval(std::chrono::milliseconds(20));
    model.addFinished(factory.finished(u"simple_chat"_s, Model::A, Outcome::Ok, 1000));
    QTRY_COMPARE(model.rowCount(), 12);
}

void TestModels::inFlightRowUpdatedInPlace()
{
    RequestTableModel model;
    QAbstractItemModelTester tester(&model, Reporting);
    RecordFactory factory;
    RequestRecord first = factory.started(u"simple_chat"_s, Model::A);
    first.startedAt = QDateTime::currentDateTimeUtc().addSecs(-5);
    const RequestRecord second = factory.started(u"simple_chat"_s, Model::B);
    model.addStarted(first);
    model.addStarted(second);
    model.flush();

    QCOMPARE(cell(model, 1, RequestTableModel::Outcome), u"in flight"_s);
    const QString elapsed = cell(model, 1, RequestTableModel::Latency);
    QVERIFY2(elapsed.startsWith(u"5."_s) && elapsed.endsWith(u'\u2026'), qPrintable(elapsed));
    QVERIFY(cell(model, 1, RequestTableModel::Size).isEmpty());

    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.addFinished(RecordFactory::finish(first, Outcome::Ok, 8200));
    QCOMPARE(cell(model, 1, RequestTableModel::Outcome), u"in flight"_s); // not before the tick
    model.flush();

    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(inserted.count(), 0);
    QCOMPARE(reset.count(), 0);
    const auto touches = [&changed](int row, int column) {
        for (const QList<QVariant>& arguments : std::as_const(changed)) {
            const auto topLeft = arguments.at(0).value<QModelIndex>();
            const auto bottomRight = arguments.at(1).value<QModelIndex>();
            if (topLeft.row() <= row && row <= bottomRight.row() && topLeft.column() <= column
                && column <= bottomRight.column())
                return true;
        }
        return false;
    };
    QVERIFY(touches(1, RequestTableModel::Outcome));
    QVERIFY(touches(0, RequestTableModel::Latency)); // the other one is still counting
    QVERIFY(!touches(0, RequestTableModel::Outcome));
    QCOMPARE(cell(model, 1, RequestTableModel::Outcome), u"ok"_s);
    QCOMPARE(cell(model, 1, RequestTableModel::Latency), u"8.2 s"_s);
    QCOMPARE(model.rowAt(1).id, first.id);
    QCOMPARE(model.inFlightCount(), 1);

    model.addFinished(RecordFactory::finish(second, Outcome::Timeout, 660000));
    model.flush();
    QCOMPARE(model.inFlightCount(), 0);
    QCOMPARE(cell(model, 0, RequestTableModel::Outcome), u"timeout"_s);
}

void TestModels::finishedWithoutStartGetsRow()
{
    RequestTableModel model;
    QAbstractItemModelTester tester(&model, Reporting);
    RecordFactory factory;
    const RequestRecord record = factory.started(u"simple_chat"_s, Model::A);

    // Started and finished within one tick: one row, already finished.
    model.addStarted(record);
    model.addFinished(RecordFactory::finish(record, Outcome::Ok, 300));
    model.addFinished(factory.finished(u"simple_chat"_s, Model::B, Outcome::Ok, 400));
    model.flush();
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.rowAt(1).outcome, Outcome::Ok);
    QCOMPARE(model.inFlightCount(), 0);
}

void TestModels::capacityDropsOldest()
{
    RequestTableModel model;
    QAbstractItemModelTester tester(&model, Reporting);
    RecordFactory factory;
    model.setCapacity(5);

    QList<RequestRecord> started;
    for (int i = 0; i < 4; ++i) {
        started.append(factory.started(u"simple_chat"_s, Model::A));
        model.addStarted(started.constLast());
    }
    model.flush();

    QSignalSpy removed(&model, &QAbstractItemModel::rowsAboutToBeRemoved);
    for (int i = 0; i < 4; ++i)
        model.addFinished(factory.finished(u"simple_chat"_s, Model::B, Outcome::Ok, 100));
    model.flush();
    QCOMPARE(model.rowCount(), 5);
    QCOMPARE(idsOf(model), (QList<quint64> {8, 7, 6, 5, 4}));
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.at(0).at(1).toInt(), 1); // the bottom rows, before the insert
    QCOMPARE(removed.at(0).at(2).toInt(), 3);
    QCOMPARE(model.inFlightCount(), 1);

    model.addFinished(RecordFactory::finish(started.at(3), Outcome::Ok, 100));
    model.flush();
    QCOMPARE(model.rowAt(4).id, 4u);
    QCOMPARE(model.rowAt(4).outcome, Outcome::Ok);
    QCOMPARE(model.inFlightCount(), 0);

    // A dropped request that finishes late comes back as a new row.
    model.addFinished(RecordFactory::finish(started.at(0), Outcome::Ok, 100));
    model.flush();
    QCOMPARE(idsOf(model), (QList<quint64> {1, 8, 7, 6, 5}));

    // A batch larger than the capacity only shows its newest records.
    for (int i = 0; i < 12; ++i)
        model.addFinished(factory.finished(u"simple_chat"_s, Model::A, Outcome::Ok, 100));
    model.flush();
    QCOMPARE(idsOf(model), (QList<quint64> {20, 19, 18, 17, 16}));

    model.setCapacity(2);
    QCOMPARE(idsOf(model), (QList<quint64> {20, 19}));
}

void TestModels::bodiesKeptForNewestOnly()
{
    RequestTableModel model;
    QAbstractItemModelTester tester(&model, Reporting);
    RecordFactory factory;
    const RequestRecord slow = factory.started(u"simple_chat"_s, Model::A);
    model.addStarted(slow);
    for (int i = 0; i < RequestTableModel::BodiesKept + 99; ++i)
        model.addFinished(factory.finished(u"simple_chat"_s, Model::A, Outcome::Ok, 100));
    model.flush();

    QCOMPARE(model.rowCount(), RequestTableModel::BodiesKept + 100);
    QVERIFY(model.isBodyAvailable(0));
    QVERIFY(!model.rowAt(0).body.isEmpty());
    QVERIFY(model.isBodyAvailable(RequestTableModel::BodiesKept - 1));
    QVERIFY(!model.isBodyAvailable(RequestTableModel::BodiesKept));
    QVERIFY(model.rowAt(RequestTableModel::BodiesKept).body.isEmpty());
    QCOMPARE(model.index(RequestTableModel::BodiesKept, 0)
                 .data(RequestTableModel::BodyAvailableRole)
                 .toBool(),
        false);
    QCOMPARE(model.rowAt(RequestTableModel::BodiesKept).responseBytes, 1536); // size stays

    // An old request that finishes now does not keep its body either.
    model.addFinished(RecordFactory::finish(slow, Outcome::Ok, 90000));
    model.flush();
    const int last = model.rowCount() - 1;
    QCOMPARE(model.rowAt(last).outcome, Outcome::Ok);
    QVERIFY(!model.isBodyAvailable(last));
}

void TestModels::requestTexts_data()
{
    QTest::addColumn<int>("column");
    QTest::addColumn<double>("latencyMs");
    QTest::addColumn<int>("endpoint");
    QTest::addColumn<QString>("expected");

    const int chat = int(aimload::Endpoint::Chat);
    const int repair = int(aimload::Endpoint::Repair);
    QTest::newRow("seconds") << int(RequestTableModel::Latency) << 8200.0 << chat << u"8.2 s"_s;
    QTest::newRow("milliseconds") << int(RequestTableModel::Latency) << 850.0 << chat
                                  << u"850 ms"_s;
    QTest::newRow("agentLatency") << int(RequestTableModel::AgentLatency) << 8200.0 << chat
                                  << u"8.1 s"_s;
    QTest::newRow("size") << int(RequestTableModel::Size) << 1.0 << chat << u"1.5 KB"_s;
    QTest::newRow("chat") << int(RequestTableModel::Endpoint) << 1.0 << chat << u"/chat"_s;
    QTest::newRow("repair") << int(RequestTableModel::Endpoint) << 1.0 << repair
                            << u"/repair \u00b7 minimal_single_tool"_s;
    QTest::newRow("model") << int(RequestTableModel::Model) << 1.0 << chat << u"B"_s;
    QTest::newRow("status") << int(RequestTableModel::Status) << 1.0 << chat << u"200"_s;
    QTest::newRow("time") << int(RequestTableModel::Time) << 1.0 << chat
                          << RecordFactory::baseTime().addSecs(60).toLocalTime().toString(
                                 u"HH:mm:ss"_s);
}

void TestModels::requestTexts()
{
    QFETCH(int, column);
    QFETCH(double, latencyMs);
    QFETCH(int, endpoint);
    QFETCH(QString, expected);

    RequestTableModel model;
    RecordFactory factory;
    const RequestRecord record
        = factory.started(u"mcp_healthy"_s, Model::B, aimload::Endpoint(endpoint));
    model.addFinished(RecordFactory::finish(record, Outcome::Ok, latencyMs));
    model.flush();
    QCOMPARE(cell(model, 0, column), expected);
}

void TestModels::outcomeColourFollowsPalette()
{
    RequestTableModel model;
    RecordFactory factory;
    fillMixed(model, factory);
    const auto colour = [&model](int row) {
        return model.index(row, RequestTableModel::Outcome)
            .data(Qt::ForegroundRole)
            .value<QColor>();
    };
    const QColor ok = colour(3);
    const QColor failed = colour(2);
    QVERIFY(ok.isValid());
    QVERIFY(failed.isValid());
    QVERIFY(ok != failed);
    QVERIFY(!model.index(0, RequestTableModel::Group).data(Qt::ForegroundRole).isValid());

    const QPalette original = QGuiApplication::palette();
    QPalette dark = original;
    dark.setColor(QPalette::Base, QColor(0x20, 0x20, 0x20));
    dark.setColor(QPalette::Text, QColor(0xe0, 0xe0, 0xe0));
    QGuiApplication::setPalette(dark);
    const QColor darkFailed = colour(2);
    QGuiApplication::setPalette(original);
    QVERIFY(darkFailed.lightness() > failed.lightness());
}

void TestModels::prettyBody_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("expected");

    QTest::newRow("json") << R"({"a":1})"_ba << u"{\n    \"a\": 1\n}\n"_s;
    QTest::newRow("text") << "Internal Server Error"_ba << u"Internal Server Error"_s;
    QTest::newRow("empty") << QByteArray() << QString();
}

void TestModels::prettyBody()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, expected);
    QCOMPARE(RequestTableModel::prettyBody(body), expected);
}

void TestModels::prettyBodyTruncated()
{
    const QByteArray body(RequestTableModel::PrettyBodyLimit + 1000, 'x');
    const QString text = RequestTableModel::prettyBody(body);
    QVERIFY(text.startsWith(QString(RequestTableModel::PrettyBodyLimit, u'x') + u'\n'));
    QVERIFY2(text.endsWith(u"[1000 more bytes not shown]"_s), qPrintable(text.right(40)));
}

void TestModels::filters_data()
{
    QTest::addColumn<QString>("group");
    QTest::addColumn<int>("model"); // -1: any
    QTest::addColumn<int>("outcome"); // -1: any
    QTest::addColumn<bool>("failuresOnly");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QList<quint64>>("ids");

    const int a = int(Model::A);
    const int b = int(Model::B);
    QTest::newRow("none") << QString() << -1 << -1 << false << QString()
                          << QList<quint64> {4, 3, 2, 1};
    QTest::newRow("group") << u"mcp_healthy"_s << -1 << -1 << false << QString()
                           << QList<quint64> {4, 3};
    QTest::newRow("modelB") << QString() << b << -1 << false << QString() << QList<quint64> {4, 2};
    QTest::newRow("groupAndModel")
        << u"simple_chat"_s << a << -1 << false << QString() << QList<quint64> {1};
    QTest::newRow("outcome") << QString() << -1 << int(Outcome::Timeout) << false << QString()
                             << QList<quint64> {3};
    QTest::newRow("failuresOnly") << QString() << -1 << -1 << true << QString()
                                  << QList<quint64> {3, 2};
    QTest::newRow("failuresOfB") << QString() << b << -1 << true << QString() << QList<quint64> {2};
    QTest::newRow("failuresButOk")
        << QString() << -1 << int(Outcome::Ok) << true << QString() << QList<quint64> {};
    QTest::newRow("textInError") << QString() << -1 << -1 << false << u"DATABASE"_s
                                 << QList<quint64> {2};
    QTest::newRow("textInDescription")
        << QString() << -1 << -1 << false << u"of mcp"_s << QList<quint64> {4, 3};
    QTest::newRow("textInMessage")
        << QString() << a << -1 << false << u"message for simple"_s << QList<quint64> {1};
    QTest::newRow("textInTrace") << QString() << -1 << -1 << false << u"0e0e0003"_s
                                 << QList<quint64> {3};
    QTest::newRow("textNowhere") << QString() << -1 << -1 << false << u"zebra"_s
                                 << QList<quint64> {};
}

void TestModels::filters()
{
    QFETCH(QString, group);
    QFETCH(int, model);
    QFETCH(int, outcome);
    QFETCH(bool, failuresOnly);
    QFETCH(QString, text);
    QFETCH(QList<quint64>, ids);

    RequestTableModel requests;
    RequestFilterModel filter;
    filter.setSourceModel(&requests);
    QAbstractItemModelTester tester(&filter, Reporting);
    RecordFactory factory;
    fillMixed(requests, factory);

    QSignalSpy changed(&filter, &RequestFilterModel::filtersChanged);
    filter.setGroupFilter(group);
    filter.setModelFilter(model < 0 ? std::nullopt : std::optional(Model(model)));
    filter.setOutcomeFilter(outcome < 0 ? std::nullopt : std::optional(Outcome(outcome)));
    filter.setFailuresOnly(failuresOnly);
    filter.setTextFilter(text);
    QCOMPARE(idsOf(filter), ids);
    if (!ids.isEmpty())
        QCOMPARE(filter.rowAt(0).id, ids.constFirst());

    // Clearing every filter brings all rows back.
    filter.setGroupFilter({});
    filter.setModelFilter(std::nullopt);
    filter.setOutcomeFilter(std::nullopt);
    filter.setFailuresOnly(false);
    filter.setTextFilter({});
    QCOMPARE(filter.rowCount(), 4);
    QVERIFY(changed.count() > 0 || ids.size() == 4);
}

void TestModels::filterFollowsLiveRows()
{
    RequestTableModel requests;
    QAbstractItemModelTester sourceTester(&requests, Reporting);
    RequestFilterModel filter;
    filter.setSourceModel(&requests);
    QAbstractItemModelTester tester(&filter, Reporting);
    filter.setFailuresOnly(true);
    filter.sort(RequestTableModel::Latency, Qt::DescendingOrder);
    requests.setCapacity(6);
    RecordFactory factory;

    QList<RequestRecord> started;
    for (int i = 0; i < 4; ++i) {
        started.append(factory.started(u"simple_chat"_s, i % 2 ? Model::B : Model::A));
        requests.addStarted(started.constLast());
    }
    requests.flush();
    QCOMPARE(filter.rowCount(), 0);

    requests.addFinished(
        RecordFactory::finish(started.at(1), Outcome::HttpError, 3000, u"HTTP 502"_s));
    requests.addFinished(RecordFactory::finish(started.at(2), Outcome::Ok, 2000));
    requests.addFinished(RecordFactory::finish(started.at(3), Outcome::Timeout, 9000, u"slow"_s));
    requests.flush();
    QCOMPARE(idsOf(filter), (QList<quint64> {4, 2}));

    for (int i = 0; i < 4; ++i)
        requests.addFinished(factory.finished(u"simple_chat"_s, Model::A, Outcome::Ok, 100));
    requests.flush(); // drops ids 1 and 2
    QCOMPARE(idsOf(filter), (QList<quint64> {4}));
}

void TestModels::sortByLatencyIsNumeric()
{
    RequestTableModel requests;
    RequestFilterModel filter;
    filter.setSourceModel(&requests);
    QAbstractItemModelTester tester(&filter, Reporting);
    RecordFactory factory;
    for (const double latency : {10000.0, 850.0, 9000.0, 120000.0, 9000.0})
        requests.addFinished(factory.finished(u"simple_chat"_s, Model::A, Outcome::Ok, latency));
    requests.flush();

    filter.sort(RequestTableModel::Latency, Qt::AscendingOrder);
    QStringList texts;
    for (int row = 0; row < filter.rowCount(); ++row)
        texts.append(cell(filter, row, RequestTableModel::Latency));
    QCOMPARE(texts, (QStringList {u"850 ms"_s, u"9.0 s"_s, u"9.0 s"_s, u"10.0 s"_s, u"120.0 s"_s}));
    // Equal keys keep the source's order (newest first): strict less-than, stable sort.
    QCOMPARE(filter.rowAt(1).id, 5u);
    QCOMPARE(filter.rowAt(2).id, 3u);

    filter.sort(RequestTableModel::Time, Qt::DescendingOrder);
    QCOMPARE(idsOf(filter), (QList<quint64> {5, 4, 3, 2, 1}));
}

void TestModels::normalizedMessage_data()
{
    QTest::addColumn<QString>("error");
    QTest::addColumn<QString>("expected");

    QTest::newRow("bytes") << u"connection closed mid-answer (HTTP 200, 1234 bytes received)"_s
                           << u"connection closed mid-answer (HTTP 200, N bytes received)"_s;
    QTest::newRow("limit") << u"answer larger than the 8388608 byte limit"_s
                           << u"answer larger than the N byte limit"_s;
    QTest::newRow("seconds") << u"no complete answer within 660 s"_s
                             << u"no complete answer within N s"_s;
    QTest::newRow("decimalSeconds") << u"took 12.5s then gave up"_s << u"took Ns then gave up"_s;
    QTest::newRow("statusKept") << u"HTTP 503 Service Unavailable"_s
                                << u"HTTP 503 Service Unavailable"_s;
    QTest::newRow("uuid") << u"job 123e4567-e89b-12d3-a456-426614174000 failed"_s
                          << u"job <id> failed"_s;
    QTest::newRow("traceId") << u"trace 4bf92f3577b34da6a3ce929d0e0e4736 lost"_s
                             << u"trace <id> lost"_s;
    QTest::newRow("timestamp") << u"at 2024-05-06T09:30:12.123Z: overloaded"_s
                               << u"at <time>: overloaded"_s;
    QTest::newRow("wordsKept") << u"5 services down"_s << u"5 services down"_s;
}

void TestModels::normalizedMessage()
{
    QFETCH(QString, error);
    QFETCH(QString, expected);
    QCOMPARE(FailuresModel::normalizedMessage(error), expected);
}

void TestModels::failuresGrouped()
{
    FailuresModel model;
    QAbstractItemModelTester tester(&model, Reporting);
    RecordFactory factory;
    const auto midAnswer = [](int bytes) -> QString {
        return u"connection closed mid-answer (HTTP 200, %1 bytes received)"_s.arg(bytes);
    };

    model.add(
        factory.finished(u"simple_chat"_s, Model::A, Outcome::ConnectionError, 100, midAnswer(10)));
    model.add(factory.finished(u"simple_chat"_s, Model::A, Outcome::Ok, 100));
    model.add(
        factory.finished(u"simple_chat"_s, Model::B, Outcome::ConnectionError, 100, midAnswer(20)));
    QCOMPARE(model.rowCount(), 0);
    model.flush();
    QCOMPARE(model.rowCount(), 2);

    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    model.add(
        factory.finished(u"simple_chat"_s, Model::A, Outcome::ConnectionError, 100, midAnswer(30)));
    const RequestRecord last
        = factory.finished(u"simple_chat"_s, Model::A, Outcome::Timeout, 100, midAnswer(40));
    model.add(last);
    model.add(factory.finished(
        u"mcp_healthy"_s, Model::A, Outcome::HttpError, 100, u"HTTP 500 Internal Server Error"_s));
    model.add(factory.finished(u"mcp_healthy"_s, Model::A, Outcome::Cancelled, 100,
        u"cancelled before the agent answered"_s));
    model.flush();

    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(model.totalFailures(), 5);
    const FailuresModel::Failure& grouped = model.rowAt(0);
    QCOMPARE(grouped.count, 3);
    QCOMPARE(grouped.message, midAnswer(0).replace(u"0 bytes"_s, u"N bytes"_s));
    QCOMPARE(grouped.lastRecordId, last.id);
    QCOMPARE(grouped.firstSeen, RecordFactory::baseTime().addSecs(60).addMSecs(100));
    QCOMPARE(grouped.lastSeen, last.startedAt.addMSecs(100));
    QCOMPARE(cell(model, 0, FailuresModel::Outcome), u"connection error, timeout"_s);
    QCOMPARE(model.index(0, 0).data(FailuresModel::OutcomeRole).toInt(), int(Outcome::Timeout));
    QCOMPARE(cell(model, 0, FailuresModel::Count), u"3"_s);
    QCOMPARE(model.rowAt(1).model, Model::B);
    QCOMPARE(model.rowAt(2).group, u"mcp_healthy"_s);
}

void TestModels::failuresBounded()
{
    FailuresModel model;
    RecordFactory factory;
    for (int i = 0; i < FailuresModel::MaxRows + 10; ++i) {
        model.add(factory.finished(u"simple_chat"_s, Model::A, Outcome::AgentFailure, 100,
            u"agent said %1"_s.arg(QString::number(i).replace(u'1', u"one"_s))));
    }
    model.flush();
    QCOMPARE(model.rowCount(), FailuresModel::MaxRows + 1);
    QCOMPARE(model.rowAt(FailuresModel::MaxRows).message, u"other failures"_s);
    QCOMPARE(model.rowAt(FailuresModel::MaxRows).count, 10);
}

void TestModels::logFedByEventLog()
{
    EventLog log;
    LogModel model;
    QAbstractItemModelTester tester(&model, Reporting);
    connect(&log, &EventLog::lineAdded, &model, &LogModel::addLine);
    log.add(EventLog::Level::Warning, u"Skipped slot 3 of user 1: busy"_s);
    log.add(EventLog::Level::Info, u"Cycle 4 done"_s);
    model.flush();

    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.rowAt(0).level, EventLog::Level::Warning);
    QCOMPARE(cell(model, 1, LogModel::Text), u"Cycle 4 done"_s);
    QCOMPARE(
        cell(model, 0, LogModel::Time), model.rowAt(0).time.toLocalTime().toString(u"HH:mm:ss"_s));
    QCOMPARE(model.index(0, 0).data(LogModel::LevelRole).toInt(), int(EventLog::Level::Warning));
}

void TestModels::logBounded()
{
    LogModel model;
    QAbstractItemModelTester tester(&model, Reporting);
    model.setCapacity(100);
    const QDateTime time = RecordFactory::baseTime();

    for (int batch = 0; batch < 5; ++batch) {
        for (int i = 0; i < 50; ++i)
            model.addLine(EventLog::Level::Info, time.addSecs(batch * 50 + i),
                u"line %1"_s.arg(batch * 50 + i));
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        model.flush();
        QCOMPARE(inserted.count(), 1);
    }
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.rowAt(0).text, u"line 150"_s);
    QCOMPARE(cell(model, 99, LogModel::Text), u"line 249"_s);

    // A burst beyond the capacity within one tick keeps its newest lines.
    for (int i = 0; i < 300; ++i)
        model.addLine(EventLog::Level::Info, time, u"burst %1"_s.arg(i));
    model.flush();
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.rowAt(0).text, u"burst 200"_s);

    model.setCapacity(10);
    QCOMPARE(model.rowCount(), 10);
    QCOMPARE(model.rowAt(0).text, u"burst 290"_s);
}

void TestModels::logLevelFilter()
{
    LogModel model;
    LogFilterModel filter;
    filter.setSourceModel(&model);
    QAbstractItemModelTester tester(&filter, Reporting);
    const QDateTime time = RecordFactory::baseTime();
    model.addLine(EventLog::Level::Debug, time, u"debug line"_s);
    model.addLine(EventLog::Level::Info, time, u"Cycle 1: Sending prompt"_s);
    model.addLine(EventLog::Level::Warning, time, u"Model B failed: timeout"_s);
    model.addLine(EventLog::Level::Error, time, u"agent unreachable"_s);
    model.flush();

    QCOMPARE(filter.rowCount(), 4);
    filter.setMinimumLevel(EventLog::Level::Warning);
    QCOMPARE(filter.rowCount(), 2);
    QCOMPARE(cell(filter, 0, LogModel::Level), u"warning"_s);
    filter.setTextFilter(u"UNREACHABLE"_s);
    QCOMPARE(filter.rowCount(), 1);
    filter.setMinimumLevel(EventLog::Level::Info);
    filter.setTextFilter(u"cycle"_s);
    QCOMPARE(filter.rowCount(), 1);

    model.addLine(EventLog::Level::Info, time, u"Cycle 2: Sending prompt"_s);
    model.flush();
    QCOMPARE(filter.rowCount(), 2);
    QVERIFY(filter.index(1, LogModel::Text).data(Qt::ForegroundRole).isNull());
    QVERIFY(model.index(2, LogModel::Text).data(Qt::ForegroundRole).value<QColor>().isValid());
}

QTEST_MAIN(TestModels)
#include "tst_models.moc"
