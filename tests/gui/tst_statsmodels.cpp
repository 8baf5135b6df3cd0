#include "models/abcomparisonmodel.h"
#include "models/statstablemodel.h"
#include "recordfactory.h"

#include <QAbstractItemModelTester>
#include <QColor>
#include <QSignalSpy>
#include <QTest>

#include <cmath>

using namespace Qt::StringLiterals;
using aimload::AbComparisonModel;
using aimload::Model;
using aimload::Outcome;
using aimload::RequestRecord;
using aimload::StatsAggregator;
using aimload::StatsRow;
using aimload::StatsTableModel;

namespace {

constexpr auto Reporting = QAbstractItemModelTester::FailureReportingMode::QtTest;
const QString Chat = u"simple_chat"_s;
const QString Mcp = u"mcp_healthy"_s;

// simple_chat: A 1000, 2000 and a failed 3000 ms, one cancelled; B 1500 twice.
// mcp_healthy: A 500 ms with one tool call; no B yet.
void fillKnown(StatsAggregator& stats)
{
    RecordFactory factory;
    stats.setGroupOrder({Chat, Mcp});
    stats.add(factory.finished(Chat, Model::A, Outcome::Ok, 1000));
    stats.add(factory.finished(Chat, Model::B, Outcome::Ok, 1500));
    stats.add(factory.finished(Chat, Model::A, Outcome::Ok, 2000));
    stats.add(factory.finished(Chat, Model::B, Outcome::Ok, 1500));
    stats.add(factory.finished(Chat, Model::A, Outcome::HttpError, 3000, u"HTTP 500"_s));
    stats.add(factory.finished(Chat, Model::A, Outcome::Cancelled, 10, u"cancelled"_s));
    RequestRecord repair = factory.finished(Mcp, Model::A, Outcome::Ok, 500);
    repair.toolCallCount = 1;
    stats.add(repair);
}

QString cell(const QAbstractItemModel& model, int row, int column)
{
    return model.index(row, column).data().toString();
}

QString keyOf(const StatsTableModel& model, int row)
{
    return cell(model, row, StatsTableModel::Group) + u'/'
        + cell(model, row, StatsTableModel::Model);
}

QStringList keysOf(const StatsTableModel& model)
{
    QStringList keys;
    for (int row = 0; row < model.rowCount(); ++row)
        keys.append(keyOf(model, row));
    return keys;
}

bool sameNumber(double a, double b)
{
    return a == b || (std::isnan(a) && std::isnan(b));
}

} // namespace

class TestStatsModels : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void statsMatchAggregator();
    void statsTexts_data();
    void statsTexts();
    void statsRowsInsertedInPlace();
    void statsRefreshAnnouncesOnlyChanges();
    void statsNewRunRemovesRows();
    void statsCopyText();
    void statsSortRoleIsNumeric();

    void abMatchesAggregator();
    void abTexts_data();
    void abTexts();
    void abBetterModel();
    void abRefreshWithoutReset();
};

void TestStatsModels::statsMatchAggregator()
{
    StatsAggregator stats;
    fillKnown(stats);
    StatsTableModel model;
    QAbstractItemModelTester tester(&model, Reporting);
    model.refresh(stats);

    QList<StatsRow> expected = stats.rows();
    expected << stats.modelTotal(Model::A) << stats.modelTotal(Model::B) << stats.total();
    QCOMPARE(model.rowCount(), expected.size());
    for (int row = 0; row < model.rowCount(); ++row) {
        const StatsRow& actual = model.rowAt(row);
        QCOMPARE(actual.group, expected.at(row).group);
        QCOMPARE(actual.model, expected.at(row).model);
        QCOMPARE(actual.requests, expected.at(row).requests);
        QCOMPARE(actual.failures, expected.at(row).failures);
        QVERIFY(sameNumber(actual.medianMs, expected.at(row).medianMs));
        QVERIFY(sameNumber(actual.p95Ms, expected.at(row).p95Ms));
        QVERIFY(sameNumber(actual.p99Ms, expected.at(row).p99Ms));
        QVERIFY(sameNumber(actual.averageMs, expected.at(row).averageMs));
        QCOMPARE(cell(model, row, StatsTableModel::Requests),
            QString::number(expected.at(row).requests));
        QCOMPARE(cell(model, row, StatsTableModel::Median),
            QString::number(expected.at(row).medianMs, 'f', 0));
    }
    QCOMPARE(model.rowKind(0), StatsTableModel::RowKind::GroupModel);
    QCOMPARE(model.rowKind(3), StatsTableModel::RowKind::ModelTotal);
    QCOMPARE(model.rowKind(5), StatsTableModel::RowKind::Aggregated);
}

void TestStatsModels::statsTexts_data()
{
    QTest::addColumn<int>("row");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("expected");

    QTest::newRow("group") << 0 << int(StatsTableModel::Group) << Chat;
    QTest::newRow("model") << 1 << int(StatsTableModel::Model) << u"B"_s;
    QTest::newRow("modelTotal") << 3 << int(StatsTableModel::Group) << u"All groups"_s;
    QTest::newRow("aggregated") << 5 << int(StatsTableModel::Group) << u"Aggregated"_s;
    QTest::newRow("aggregatedModel") << 5 << int(StatsTableModel::Model) << u"A+B"_s;
    QTest::newRow("requests") << 0 << int(StatsTableModel::Requests) << u"3"_s;
    QTest::newRow("fails") << 0 << int(StatsTableModel::Fails) << u"1"_s;
    QTest::newRow("failPercent") << 0 << int(StatsTableModel::FailPercent) << u"33.3"_s;
    QTest::newRow("median") << 0 << int(StatsTableModel::Median) << u"2000"_s;
    QTest::newRow("p99") << 0 << int(StatsTableModel::P99) << u"3000"_s;
    QTest::newRow("average") << 0 << int(StatsTableModel::Average) << u"2000"_s;
    QTest::newRow("min") << 5 << int(StatsTableModel::Min) << u"500"_s;
    QTest::newRow("size") << 1 << int(StatsTableModel::AverageSize) << u"1536"_s;
    QTest::newRow("perHour") << 5 << int(StatsTableModel::RequestsPerHour) << u"3.0"_s;
    QTest::newRow("groupPerHour") << 2 << int(StatsTableModel::RequestsPerHour) << u"0.5"_s;
}

void TestStatsModels::statsTexts()
{
    QFETCH(int, row);
    QFETCH(int, column);
    QFETCH(QString, expected);

    StatsAggregator stats;
    fillKnown(stats);
    StatsTableModel model;
    const QDateTime now = RecordFactory::baseTime().addSecs(3 * 3600);
    model.setStartTime(now.addSecs(-2 * 3600));
    model.refresh(stats, now);
    QCOMPARE(cell(model, row, column), expected);
}

void TestStatsModels::statsRowsInsertedInPlace()
{
    StatsAggregator stats;
    stats.setGroupOrder({Chat, Mcp});
    StatsTableModel model;
    QAbstractItemModelTester tester(&model, Reporting);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    RecordFactory factory;

    model.refresh(stats);
    QCOMPARE(keysOf(model), (QStringList {u"Aggregated/A+B"_s}));

    stats.add(factory.finished(Mcp, Model::A, Outcome::Ok, 100));
    model.refresh(stats);
    QCOMPARE(
        keysOf(model), (QStringList {u"mcp_healthy/A"_s, u"All groups/A"_s, u"Aggregated/A+B"_s}));

    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    stats.add(factory.finished(Chat, Model::B, Outcome::Ok, 100));
    model.refresh(stats);
    QCOMPARE(keysOf(model),
        (QStringList {u"simple_chat/B"_s, u"mcp_healthy/A"_s, u"All groups/A"_s, u"All groups/B"_s,
            u"Aggregated/A+B"_s}));
    QCOMPARE(inserted.count(), 2);
    QCOMPARE(reset.count(), 0);
}

void TestStatsModels::statsRefreshAnnouncesOnlyChanges()
{
    StatsAggregator stats;
    fillKnown(stats);
    StatsTableModel model;
    QAbstractItemModelTester tester(&model, Reporting);
    model.refresh(stats);

    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.refresh(stats);
    QCOMPARE(changed.count(), 0);

    RecordFactory factory;
    stats.add(factory.finished(Mcp, Model::A, Outcome::Ok, 700));
    model.refresh(stats);
    // mcp_healthy/A, the total of A and the aggregated row.
    QCOMPARE(changed.count(), 3);
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), 2);
    QCOMPARE(changed.at(0).at(0).value<QModelIndex>().column(), int(StatsTableModel::Requests));
    QCOMPARE(cell(model, 2, StatsTableModel::Requests), u"2"_s);
}

void TestStatsModels::statsNewRunRemovesRows()
{
    StatsAggregator stats;
    fillKnown(stats);
    StatsTableModel model;
    QAbstractItemModelTester tester(&model, Reporting);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.refresh(stats);

    StatsAggregator next;
    RecordFactory factory;
    next.add(factory.finished(Mcp, Model::B, Outcome::Ok, 100));
    model.refresh(next);
    QCOMPARE(
        keysOf(model), (QStringList {u"mcp_healthy/B"_s, u"All groups/B"_s, u"Aggregated/A+B"_s}));
    QCOMPARE(reset.count(), 0);
}

void TestStatsModels::statsCopyText()
{
    StatsAggregator stats;
    fillKnown(stats);
    StatsTableModel model;
    model.refresh(stats);

    const QStringList lines = model.copyText().split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), model.rowCount() + 1);
    QVERIFY(lines.at(0).startsWith(u"Group\tModel\tRequests\tFails\tFail %\tMedian (ms)"_s));
    QCOMPARE(lines.at(0).split(u'\t').size(), int(StatsTableModel::ColumnCount));
    QCOMPARE(lines.at(1).split(u'\t').mid(0, 6),
        (QStringList {Chat, u"A"_s, u"3"_s, u"1"_s, u"33.3"_s, u"2000"_s}));
    // No requests/h without a start time: an empty cell, not a dash.
    QVERIFY(lines.constLast().endsWith(u'\t'));
}

void TestStatsModels::statsSortRoleIsNumeric()
{
    StatsAggregator stats;
    fillKnown(stats);
    StatsTableModel model;
    model.refresh(stats);
    const QVariant median = model.index(0, StatsTableModel::Median).data(StatsTableModel::SortRole);
    QCOMPARE(median.typeId(), QMetaType::Double);
    QCOMPARE(median.toDouble(), 2000.0);
    QCOMPARE(model.index(0, StatsTableModel::Requests).data(StatsTableModel::SortRole).toInt(), 3);
    // A missing number sorts below every real one.
    const double missing = model.index(2, StatsTableModel::RequestsPerHour)
                               .data(StatsTableModel::SortRole)
                               .toDouble();
    QVERIFY(std::isinf(missing) && missing < 0);
}

void TestStatsModels::abMatchesAggregator()
{
    StatsAggregator stats;
    fillKnown(stats);
    AbComparisonModel model;
    QAbstractItemModelTester tester(&model, Reporting);
    model.refresh(stats);

    QCOMPARE(model.rowCount(), 3);
    const AbComparisonModel::Comparison& overall = model.rowAt(2);
    QVERIFY(overall.isOverall());
    QCOMPARE(overall.a.requests, stats.modelTotal(Model::A).requests);
    QCOMPARE(overall.b.requests, stats.modelTotal(Model::B).requests);
    QCOMPARE(overall.a.medianMs, stats.modelTotal(Model::A).medianMs);
    QCOMPARE(overall.b.p95Ms, stats.modelTotal(Model::B).p95Ms);

    const AbComparisonModel::Comparison& chat = model.rowAt(0);
    QCOMPARE(chat.group, Chat);
    const QList<StatsRow> rows = stats.rows();
    QCOMPARE(chat.a.medianMs, rows.at(0).medianMs);
    QCOMPARE(chat.b.medianMs, rows.at(1).medianMs);
    QCOMPARE(chat.successPercent(Model::A), (1.0 - rows.at(0).failureRate()) * 100.0);
    QCOMPARE(chat.medianDelta(), rows.at(1).medianMs - rows.at(0).medianMs);
    QCOMPARE(chat.medianDeltaPercent(), -25.0);
    QCOMPARE(
        model.index(0, AbComparisonModel::MedianDelta).data(AbComparisonModel::SortRole).toDouble(),
        -500.0);
}

void TestStatsModels::abTexts_data()
{
    QTest::addColumn<int>("row");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("expected");

    QTest::newRow("group") << 0 << int(AbComparisonModel::Group) << Chat;
    QTest::newRow("overall") << 2 << int(AbComparisonModel::Group) << u"Overall"_s;
    QTest::newRow("aRequests") << 0 << int(AbComparisonModel::ARequests) << u"3"_s;
    QTest::newRow("bRequests") << 0 << int(AbComparisonModel::BRequests) << u"2"_s;
    QTest::newRow("aSuccess") << 0 << int(AbComparisonModel::ASuccess) << u"66.7 %"_s;
    QTest::newRow("bSuccess") << 0 << int(AbComparisonModel::BSuccess) << u"100.0 %"_s;
    QTest::newRow("successDelta") << 0 << int(AbComparisonModel::SuccessDelta) << u"+33.3 pts"_s;
    QTest::newRow("aMedian") << 0 << int(AbComparisonModel::AMedian) << u"2.0 s"_s;
    QTest::newRow("bMedian") << 0 << int(AbComparisonModel::BMedian) << u"1.5 s"_s;
    QTest::newRow("medianDelta") << 0 << int(AbComparisonModel::MedianDelta)
                                 << u"\u2212500 ms (\u221225%)"_s;
    QTest::newRow("p95Delta") << 0 << int(AbComparisonModel::P95Delta)
                              << u"\u22121.5 s (\u221250%)"_s;
    QTest::newRow("toolCalls") << 1 << int(AbComparisonModel::AToolCalls) << u"1.0"_s;
    QTest::newRow("noB") << 1 << int(AbComparisonModel::BSuccess) << u"\u2013"_s;
    QTest::newRow("noBRequests") << 1 << int(AbComparisonModel::BRequests) << u"0"_s;
    QTest::newRow("noDelta") << 1 << int(AbComparisonModel::MedianDelta) << u"\u2013"_s;
}

void TestStatsModels::abTexts()
{
    QFETCH(int, row);
    QFETCH(int, column);
    QFETCH(QString, expected);

    StatsAggregator stats;
    fillKnown(stats);
    AbComparisonModel model;
    model.refresh(stats);
    QCOMPARE(cell(model, row, column), expected);
}

void TestStatsModels::abBetterModel()
{
    StatsAggregator stats;
    fillKnown(stats);
    AbComparisonModel model;
    model.refresh(stats);

    QCOMPARE(model.betterModel(0, AbComparisonModel::ASuccess), Model::B);
    QCOMPARE(model.betterModel(0, AbComparisonModel::MedianDelta), Model::B);
    QCOMPARE(model.betterModel(0, AbComparisonModel::ARequests), std::nullopt);
    QCOMPARE(model.betterModel(1, AbComparisonModel::AMedian), std::nullopt);
    QCOMPARE(
        model.index(0, AbComparisonModel::BMedian).data(AbComparisonModel::BetterModelRole).toInt(),
        int(Model::B));

    QVERIFY(model.index(0, AbComparisonModel::BMedian)
                .data(Qt::ForegroundRole)
                .value<QColor>()
                .isValid());
    QVERIFY(model.index(0, AbComparisonModel::AMedian).data(Qt::ForegroundRole).isNull());
    QCOMPARE(model.index(0, AbComparisonModel::MedianDelta).data(Qt::ToolTipRole).toString(),
        u"Model B is faster than Model A at the median by 500 ms"_s);
    QCOMPARE(model.index(0, AbComparisonModel::SuccessDelta).data(Qt::ToolTipRole).toString(),
        u"Model B succeeds 33.3 points more often than Model A"_s);
    QCOMPARE(model.index(1, AbComparisonModel::AMedian).data(Qt::ToolTipRole).toString(),
        u"Not enough requests to compare"_s);
}

void TestStatsModels::abRefreshWithoutReset()
{
    StatsAggregator stats;
    stats.setGroupOrder({Chat, Mcp});
    AbComparisonModel model;
    QAbstractItemModelTester tester(&model, Reporting);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    RecordFactory factory;

    model.refresh(stats);
    QCOMPARE(model.rowCount(), 1); // overall

    stats.add(factory.finished(Mcp, Model::A, Outcome::Ok, 100));
    model.refresh(stats);
    stats.add(factory.finished(Chat, Model::A, Outcome::Ok, 100));
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.refresh(stats);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.rowAt(0).group, Chat);
    QCOMPARE(model.rowAt(1).group, Mcp);
    QCOMPARE(changed.count(), 1); // the overall row only
    QCOMPARE(reset.count(), 0);

    model.refresh(stats);
    QCOMPARE(changed.count(), 1);
}

QTEST_MAIN(TestStatsModels)
#include "tst_statsmodels.moc"
