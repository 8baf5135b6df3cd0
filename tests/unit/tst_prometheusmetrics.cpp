#include "agent/requestrecord.h"
#include "engine/clock.h"
#include "engine/loadengine.h"
#include "fakesender.h"
#include "web/prometheusmetrics.h"

#include <QHash>
#include <QRegularExpression>
#include <QSet>
#include <QStringDecoder>
#include <QTest>
#include <QUrl>

#include <cmath>
#include <limits>
#include <map>
#include <optional>

using namespace Qt::StringLiterals;
using aimload::Endpoint;
using aimload::EngineSettings;
using aimload::LoadEngine;
using aimload::ManualClock;
using aimload::Model;
using aimload::Outcome;
using aimload::PrometheusMetrics;
using aimload::PromptPool;
using aimload::RequestRecord;
using aimload::test::FakeSender;

namespace {

using Labels = std::map<QByteArray, QString>;

struct Sample
{
    QByteArray name;
    Labels labels;
    double value = 0.0;
};

struct Family
{
    QByteArray name;
    QByteArray type;
    std::optional<QString> help;
    QList<Sample> samples;
};

// A parsed /metrics answer, or the first thing wrong with it.
struct Exposition
{
    QList<Family> families;
    QString error;

    const Family* family(QByteArrayView name) const
    {
        for (const Family& family : families) {
            if (family.name == name)
                return &family;
        }
        return nullptr;
    }

    std::optional<double> value(QByteArrayView name, const Labels& labels = {}) const
    {
        for (const Family& family : families) {
            for (const Sample& sample : family.samples) {
                if (sample.name == name && sample.labels == labels)
                    return sample.value;
            }
        }
        return std::nullopt;
    }

    int sampleCount() const
    {
        int count = 0;
        for (const Family& family : families)
            count += int(family.samples.size());
        return count;
    }
};

// Parses the Prometheus text format 0.0.4 more strictly than Prometheus does: every line is
// "# HELP", "# TYPE" or a sample without a timestamp, no empty lines, a family's lines
// together with HELP and TYPE before its samples, counters named *_total and never
// negative, no repeated series, and complete, cumulative histograms.
class StrictParser
{
public:
    Exposition parse(const QByteArray& text)
    {
        if (!text.endsWith('\n'))
            return failed(0, u"the text does not end with a newline"_s);
        const QList<QByteArray> lines = text.chopped(1).split('\n');
        for (qsizetype i = 0; i < lines.size(); ++i) {
            m_line = int(i) + 1;
            const QByteArray& line = lines.at(i);
            const bool ok = line.startsWith('#') ? parseComment(line) : parseSample(line);
            if (!ok)
                return m_result;
        }
        for (const Family& family : std::as_const(m_result.families)) {
            if (!checkFamily(family))
                return m_result;
        }
        return m_result;
    }

private:
    static bool isName(QByteArrayView name)
    {
        static const QRegularExpression pattern(u"^[a-zA-Z_:][a-zA-Z0-9_:]*$"_s);
        return pattern.match(QString::fromLatin1(name)).hasMatch();
    }

    static bool isLabelName(QByteArrayView name)
    {
        static const QRegularExpression pattern(u"^[a-zA-Z_][a-zA-Z0-9_]*$"_s);
        return pattern.match(QString::fromLatin1(name)).hasMatch() && !name.startsWith("__");
    }

    static std::optional<double> parseValue(QByteArrayView text)
    {
        if (text == "+Inf")
            return std::numeric_limits<double>::infinity();
        if (text == "-Inf")
            return -std::numeric_limits<double>::infinity();
        if (text == "NaN")
            return std::nan("");
        static const QRegularExpression pattern(u"^[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?$"_s);
        if (!pattern.match(QString::fromLatin1(text)).hasMatch())
            return std::nullopt;
        return text.toDouble();
    }

    static std::optional<QString> utf8(const QByteArray& bytes)
    {
        QStringDecoder decoder(QStringDecoder::Utf8);
        const QString text = decoder(bytes);
        if (decoder.hasError())
            return std::nullopt;
        return text;
    }

    Exposition failed(int line, const QString& why)
    {
        m_result.error = u"line %1: %2"_s.arg(line).arg(why);
        return m_result;
    }

    bool fail(const QString& why)
    {
        failed(m_line, why);
        return false;
    }

    Family* familyFor(const QByteArray& name)
    {
        if (!m_result.families.isEmpty() && m_result.families.last().name == name)
            return &m_result.families.last();
        if (m_result.family(name)) {
            fail(u"the lines of %1 are not together"_s.arg(QString::fromLatin1(name)));
            return nullptr;
        }
        m_result.families.append(Family {name, {}, {}, {}});
        return &m_result.families.last();
    }

    bool parseComment(const QByteArray& line)
    {
        static const QRegularExpression pattern(u"^# (HELP|TYPE) ([^ ]+) (.*)$"_s);
        const QRegularExpressionMatch match = pattern.match(QString::fromUtf8(line));
        if (!match.hasMatch())
            return fail(u"a comment that is neither HELP nor TYPE"_s);
        const QByteArray name = match.captured(2).toLatin1();
        if (!isName(name))
            return fail(u"invalid metric name in a comment"_s);
        Family* family = familyFor(name);
        if (!family)
            return false;
        if (!family->samples.isEmpty())
            return fail(u"HELP or TYPE after the samples of %1"_s.arg(QString::fromLatin1(name)));

        const QString rest = match.captured(3);
        if (match.captured(1) == u"TYPE"_s) {
            if (!family->type.isEmpty())
                return fail(u"a second TYPE"_s);
            if (rest != u"counter"_s && rest != u"gauge"_s && rest != u"histogram"_s)
                return fail(u"unknown type %1"_s.arg(rest));
            family->type = rest.toLatin1();
            return true;
        }
        if (family->help)
            return fail(u"a second HELP"_s);
        for (qsizetype i = 0; i < rest.size(); ++i) {
            if (rest.at(i) == u'\\'
                && (i + 1 == rest.size() || (rest.at(i + 1) != u'\\' && rest.at(i + 1) != u'n')))
                return fail(u"a bad escape in HELP"_s);
            if (rest.at(i) == u'\\')
                ++i;
        }
        family->help = rest;
        return true;
    }

    // Reads {name="value",...} from line at pos, leaving pos after the closing brace.
    bool parseLabels(const QByteArray& line, qsizetype& pos, Labels& labels)
    {
        ++pos; // '{'
        for (;;) {
            const qsizetype equals = line.indexOf('=', pos);
            if (equals < 0)
                return fail(u"a label without a value"_s);
            const QByteArray name = line.mid(pos, equals - pos);
            if (!isLabelName(name))
                return fail(u"invalid label name \"%1\""_s.arg(QString::fromLatin1(name)));
            if (equals + 1 >= line.size() || line.at(equals + 1) != '"')
                return fail(u"a label value without quotes"_s);
            QByteArray raw;
            pos = equals + 2;
            for (;;) {
                if (pos >= line.size())
                    return fail(u"an unterminated label value"_s);
                const char c = line.at(pos++);
                if (c == '"')
                    break;
                if (c != '\\') {
                    raw += c;
                    continue;
                }
                const char escaped = pos < line.size() ? line.at(pos++) : '\0';
                if (escaped == '\\' || escaped == '"')
                    raw += escaped;
                else if (escaped == 'n')
                    raw += '\n';
                else
                    return fail(u"a bad escape in a label value"_s);
            }
            const std::optional<QString> value = utf8(raw);
            if (!value)
                return fail(u"a label value that is not UTF-8"_s);
            if (!labels.emplace(name, *value).second)
                return fail(u"a repeated label %1"_s.arg(QString::fromLatin1(name)));
            if (pos >= line.size())
                return fail(u"labels without a closing brace"_s);
            const char next = line.at(pos++);
            if (next == '}')
                return true;
            if (next != ',')
                return fail(u"labels not separated by commas"_s);
        }
    }

    bool belongsTo(const Family& family, const QByteArray& name) const
    {
        if (family.type == "histogram") {
            return name == family.name + "_bucket" || name == family.name + "_sum"
                || name == family.name + "_count";
        }
        return name == family.name;
    }

    bool parseSample(const QByteArray& line)
    {
        qsizetype pos = 0;
        while (pos < line.size() && line.at(pos) != '{' && line.at(pos) != ' ')
            ++pos;
        Sample sample;
        sample.name = line.first(pos);
        if (!isName(sample.name))
            return fail(u"invalid metric name \"%1\""_s.arg(QString::fromUtf8(sample.name)));
        if (pos < line.size() && line.at(pos) == '{' && !parseLabels(line, pos, sample.labels))
            return false;
        if (pos >= line.size() || line.at(pos) != ' ')
            return fail(u"no space before the value"_s);
        const std::optional<double> value = parseValue(line.sliced(pos + 1));
        if (!value)
            return fail(u"invalid value (or a timestamp) \"%1\""_s.arg(
                QString::fromUtf8(line.sliced(pos + 1))));
        sample.value = *value;

        if (m_result.families.isEmpty() || m_result.families.last().type.isEmpty()
            || !belongsTo(m_result.families.last(), sample.name))
            return fail(u"%1 has no TYPE before it"_s.arg(QString::fromLatin1(sample.name)));
        QByteArray series = sample.name;
        for (const auto& [name, labelValue] : sample.labels)
            series += '\x1f' + name + '=' + labelValue.toUtf8();
        if (m_series.contains(series))
            return fail(u"a repeated series"_s);
        m_series.insert(series);
        m_result.families.last().samples.append(sample);
        return true;
    }

    bool checkFamily(const Family& family)
    {
        if (!family.help)
            return fail(u"%1 has no HELP"_s.arg(QString::fromLatin1(family.name)));
        if (family.type == "counter") {
            if (!family.name.endsWith("_total"))
                return fail(
                    u"counter %1 is not named *_total"_s.arg(QString::fromLatin1(family.name)));
            for (const Sample& sample : family.samples) {
                if (!(sample.value >= 0))
                    return fail(u"counter %1 is negative"_s.arg(QString::fromLatin1(family.name)));
            }
        }
        return family.type != "histogram" || checkHistogram(family);
    }

    struct HistogramSeries
    {
        QList<std::pair<double, double>> buckets; // (le, cumulative count)
        std::optional<double> sum;
        std::optional<double> count;
    };

    bool checkHistogram(const Family& family)
    {
        std::map<Labels, HistogramSeries> groups;
        for (const Sample& sample : family.samples) {
            Labels labels = sample.labels;
            const auto le = labels.find("le");
            const bool isBucket = sample.name.endsWith("_bucket");
            if (isBucket != (le != labels.end()))
                return fail(u"le on a sample other than a bucket, or a bucket without it"_s);
            HistogramSeries* series = nullptr;
            if (isBucket) {
                const std::optional<double> bound = parseValue(le->second.toLatin1());
                if (!bound)
                    return fail(u"invalid le \"%1\""_s.arg(le->second));
                labels.erase(le);
                series = &groups[labels];
                series->buckets.append({*bound, sample.value});
                continue;
            }
            series = &groups[labels];
            std::optional<double>& slot
                = sample.name.endsWith("_sum") ? series->sum : series->count;
            slot = sample.value;
        }

        for (const auto& [labels, series] : groups) {
            if (series.buckets.isEmpty() || !series.sum || !series.count)
                return fail(u"a histogram series without buckets, _sum or _count"_s);
            for (qsizetype i = 1; i < series.buckets.size(); ++i) {
                if (!(series.buckets[i].first > series.buckets[i - 1].first))
                    return fail(u"histogram buckets out of order"_s);
                if (series.buckets[i].second < series.buckets[i - 1].second)
                    return fail(u"histogram buckets not cumulative"_s);
            }
            if (!std::isinf(series.buckets.last().first))
                return fail(u"a histogram without an le=\"+Inf\" bucket"_s);
            if (series.buckets.last().second != *series.count)
                return fail(u"the +Inf bucket differs from _count"_s);
        }
        return true;
    }

    Exposition m_result;
    QSet<QByteArray> m_series;
    int m_line = 0;
};

Exposition parsed(const PrometheusMetrics& metrics)
{
    return StrictParser().parse(metrics.render());
}

RequestRecord record(quint64 id, const QString& group, Model model, Endpoint endpoint,
    Outcome outcome, double latencyMs)
{
    RequestRecord record;
    record.id = id;
    record.group = group;
    record.model = model;
    record.endpoint = endpoint;
    record.outcome = outcome;
    record.latencyMs = latencyMs;
    record.body = QByteArrayLiteral("an answer body");
    return record;
}

struct Fed
{
    QString group;
    Model model = Model::A;
    Endpoint endpoint = Endpoint::Chat;
    Outcome outcome = Outcome::Ok;
    double latencyMs = 0.0;
};

Labels seriesLabels(const Fed& fed)
{
    return {{"group", fed.group}, {"model", fed.model == Model::A ? u"a"_s : u"b"_s},
        {"endpoint", fed.endpoint == Endpoint::Chat ? u"chat"_s : u"repair"_s},
        {"outcome", aimload::outcomeName(fed.outcome)}};
}

QString leText(qsizetype bucket)
{
    const auto& bounds = PrometheusMetrics::DurationBuckets;
    return bucket < qsizetype(bounds.size())
        ? QString::number(bounds[size_t(bucket)], 'g', QLocale::FloatingPointShortest)
        : u"+Inf"_s;
}

const char PoolJson[] = R"({
  "version": 1,
  "groups": [
    {"name": "chat", "weight": 1, "prompts": [
      {"id": "greeting", "description": "Greeting", "text": "Hello there",
       "endpoint": "/chat", "expected_tool_calls": 0, "expect_success": true}]}
  ]
})";

} // namespace

Q_DECLARE_METATYPE(QList<Fed>)

class TestPrometheusMetrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parserRejects_data();
    void parserRejects();
    void escapesLabelValues_data();
    void escapesLabelValues();
    void emptyMetricsParse();
    void countsMatchRecords_data();
    void countsMatchRecords();
    void seriesStayBounded();
    void agentUrlLeavesOutCredentials();
    void followsEngine();
    void cycleStartDelayHistogram();
};

void TestPrometheusMetrics::parserRejects_data()
{
    QTest::addColumn<QByteArray>("text");

    const QByteArray counter = "# HELP x_total X.\n# TYPE x_total counter\n";
    const QByteArray histogram = "# HELP h H.\n# TYPE h histogram\n";
    QTest::newRow("noFinalNewline") << counter + "x_total 1";
    QTest::newRow("emptyLine") << counter + "\nx_total 1\n";
    QTest::newRow("otherComment") << "# hello\n" + counter;
    QTest::newRow("sampleBeforeType") << "x_total 1\n" + counter;
    QTest::newRow("unknownType") << "# HELP x X.\n# TYPE x summary\nx 1\n"_ba;
    QTest::newRow("badMetricName") << "# HELP 1x X.\n# TYPE 1x gauge\n1x 1\n"_ba;
    QTest::newRow("badLabelName") << counter + "x_total{1a=\"v\"} 1\n";
    QTest::newRow("reservedLabelName") << counter + "x_total{__a=\"v\"} 1\n";
    QTest::newRow("badEscape") << counter + "x_total{a=\"\\t\"} 1\n";
    QTest::newRow("unquotedValue") << counter + "x_total{a=v} 1\n";
    QTest::newRow("unterminatedValue") << counter + "x_total{a=\"v} 1\n";
    QTest::newRow("trailingComma") << counter + "x_total{a=\"v\",} 1\n";
    QTest::newRow("repeatedLabel") << counter + "x_total{a=\"v\",a=\"w\"} 1\n";
    QTest::newRow("repeatedSeries") << counter + "x_total 1\nx_total 2\n";
    QTest::newRow("badNumber") << counter + "x_total one\n";
    QTest::newRow("timestamp") << counter + "x_total 1 1700000000\n";
    QTest::newRow("negativeCounter") << counter + "x_total -1\n";
    QTest::newRow("counterName") << "# HELP x X.\n# TYPE x counter\nx 1\n"_ba;
    QTest::newRow("noHelp") << "# TYPE x_total counter\nx_total 1\n"_ba;
    QTest::newRow("splitFamily") << counter
            + "x_total{a=\"1\"} 1\n# HELP y Y.\n# TYPE y gauge\ny 1\n" + "x_total{a=\"2\"} 1\n";
    QTest::newRow("typeAfterSamples") << "# HELP g G.\ng 1\n# TYPE g gauge\n"_ba;
    QTest::newRow("bucketsNotCumulative")
        << histogram + "h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n";
    QTest::newRow("infDiffersFromCount")
        << histogram + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 2\n";
    QTest::newRow("noInfBucket") << histogram + "h_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n";
    QTest::newRow("noSum") << histogram + "h_bucket{le=\"+Inf\"} 1\nh_count 1\n";
    QTest::newRow("bucketsOutOfOrder") << histogram
            + "h_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n"
              "h_count 1\n";
}

void TestPrometheusMetrics::parserRejects()
{
    QFETCH(QByteArray, text);

    const Exposition exposition = StrictParser().parse(text);

    QVERIFY2(!exposition.error.isEmpty(), text.constData());
}

void TestPrometheusMetrics::escapesLabelValues_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("escaped");

    QTest::newRow("plain") << u"chat"_s << "chat"_ba;
    QTest::newRow("quote") << u"say \"hi\""_s << "say \\\"hi\\\""_ba;
    QTest::newRow("backslash") << u"a\\b"_s << "a\\\\b"_ba;
    QTest::newRow("newline") << u"one\ntwo"_s << "one\\ntwo"_ba;
    QTest::newRow("escapedLookalike") << u"\\n"_s << "\\\\n"_ba;
    QTest::newRow("tabAndReturnStay") << u"a\tb\rc"_s << "a\tb\rc"_ba;
    QTest::newRow("unicode") << u"grüße ✓"_s
                             << "gr\xc3\xbc\xc3\x9f"
                                "e \xe2\x9c\x93"_ba;
}

void TestPrometheusMetrics::escapesLabelValues()
{
    QFETCH(QString, value);
    QFETCH(QByteArray, escaped);

    QCOMPARE(PrometheusMetrics::escapeLabelValue(value), escaped);
}

void TestPrometheusMetrics::emptyMetricsParse()
{
    PrometheusMetrics metrics;
    metrics.setVersion(u"1.2.3"_s);

    const Exposition exposition = parsed(metrics);

    QVERIFY2(exposition.error.isEmpty(), qPrintable(exposition.error));
    const QList<QByteArray> names = {"aimload_requests_total", "aimload_request_duration_seconds",
        "aimload_cycles_total", "aimload_slots_skipped_total", "aimload_requests_in_flight",
        "aimload_next_cycle_seconds", "aimload_agent_up", "aimload_agent_health_checks_total",
        "aimload_info"};
    for (const QByteArray& name : names)
        QVERIFY2(exposition.family(name), name.constData());
    QCOMPARE(exposition.family("aimload_requests_total")->type, "counter"_ba);
    QCOMPARE(exposition.family("aimload_request_duration_seconds")->type, "histogram"_ba);
    QCOMPARE(exposition.family("aimload_requests_in_flight")->type, "gauge"_ba);
    QCOMPARE(exposition.value("aimload_cycles_total"), 0.0);
    QCOMPARE(exposition.value("aimload_requests_in_flight"), 0.0);
    QCOMPARE(exposition.value("aimload_agent_health_checks_total"), 0.0);
    QVERIFY(!exposition.value("aimload_agent_up"));
    QVERIFY(!exposition.value("aimload_next_cycle_seconds"));
    QCOMPARE(
        exposition.value("aimload_info", {{"version", u"1.2.3"_s}, {"agent_url", QString()}}), 1.0);
}

void TestPrometheusMetrics::countsMatchRecords_data()
{
    QTest::addColumn<QList<Fed>>("records");

    QTest::newRow("oneOk") << QList<Fed> {{u"chat"_s, Model::A, Endpoint::Chat, Outcome::Ok, 1200}};
    QTest::newRow("mixedOutcomes") << QList<Fed> {
        {u"chat"_s, Model::A, Endpoint::Chat, Outcome::Ok, 800},
        {u"chat"_s, Model::B, Endpoint::Chat, Outcome::HttpError, 150},
        {u"chat"_s, Model::A, Endpoint::Chat, Outcome::Ok, 45'000},
        {u"mcp"_s, Model::A, Endpoint::Repair, Outcome::AgentFailure, 3000},
        {u"mcp"_s, Model::B, Endpoint::Repair, Outcome::Timeout, 660'000},
        {u"mcp"_s, Model::B, Endpoint::Repair, Outcome::ConnectionError, 3},
        {u"chat"_s, Model::B, Endpoint::Chat, Outcome::InvalidResponse, 2500},
    };
    // A latency equal to a bound belongs in that bucket; beyond the last only in +Inf.
    QTest::newRow("bucketEdges") << QList<Fed> {
        {u"edges"_s, Model::A, Endpoint::Chat, Outcome::Ok, 100},
        {u"edges"_s, Model::A, Endpoint::Chat, Outcome::Ok, 100.001},
        {u"edges"_s, Model::A, Endpoint::Chat, Outcome::Ok, 2500},
        {u"edges"_s, Model::A, Endpoint::Chat, Outcome::Ok, 600'000},
        {u"edges"_s, Model::A, Endpoint::Chat, Outcome::Ok, 600'001},
        {u"edges"_s, Model::A, Endpoint::Chat, Outcome::Ok, 0},
    };
    QTest::newRow("cancelledNotTimed") << QList<Fed> {
        {u"chat"_s, Model::A, Endpoint::Chat, Outcome::Cancelled, 5000},
        {u"chat"_s, Model::A, Endpoint::Chat, Outcome::Ok, 5000},
    };
    QTest::newRow("hostileGroupNames") << QList<Fed> {
        {u"say \"hi\""_s, Model::A, Endpoint::Chat, Outcome::Ok, 700},
        {u"back\\slash\\"_s, Model::B, Endpoint::Chat, Outcome::Ok, 1700},
        {u"new\nline"_s, Model::A, Endpoint::Repair, Outcome::HttpError, 90},
        {u"all\\\"three\n"_s, Model::B, Endpoint::Chat, Outcome::Ok, 31'000},
        {u"\\n"_s, Model::A, Endpoint::Chat, Outcome::Ok, 10},
        {u"n"_s, Model::A, Endpoint::Chat, Outcome::Ok, 20},
        {u"x\",le=\"1\"} 99\n# TYPE evil counter"_s, Model::A, Endpoint::Chat, Outcome::Ok, 5},
        {u"grüße ✓\t\r"_s, Model::B, Endpoint::Repair, Outcome::Ok, 12'000},
        {QString(), Model::A, Endpoint::Chat, Outcome::Ok, 1},
    };
}

void TestPrometheusMetrics::countsMatchRecords()
{
    QFETCH(QList<Fed>, records);
    PrometheusMetrics metrics;

    quint64 id = 0;
    for (const Fed& fed : records) {
        const RequestRecord finished
            = record(++id, fed.group, fed.model, fed.endpoint, fed.outcome, fed.latencyMs);
        RequestRecord started = finished;
        started.outcome = Outcome::Pending;
        metrics.recordRequestStarted(started);
        metrics.recordRequestFinished(finished);
    }
    const Exposition exposition = parsed(metrics);

    QVERIFY2(exposition.error.isEmpty(), qPrintable(exposition.error));
    std::map<Labels, QList<double>> latencies;
    std::map<Labels, int> requests;
    for (const Fed& fed : records) {
        ++requests[seriesLabels(fed)];
        if (fed.outcome != Outcome::Cancelled)
            latencies[seriesLabels(fed)].append(fed.latencyMs / 1000.0);
    }
    QCOMPARE(
        exposition.family("aimload_requests_total")->samples.size(), qsizetype(requests.size()));
    for (const auto& [labels, count] : requests)
        QCOMPARE(exposition.value("aimload_requests_total", labels), double(count));

    const auto& bounds = PrometheusMetrics::DurationBuckets;
    const qsizetype bucketCount = qsizetype(bounds.size()) + 1;
    QCOMPARE(exposition.family("aimload_request_duration_seconds")->samples.size(),
        qsizetype(latencies.size()) * (bucketCount + 2));
    for (const auto& [labels, seconds] : latencies) {
        for (qsizetype bucket = 0; bucket < bucketCount; ++bucket) {
            const double bound = bucket < qsizetype(bounds.size())
                ? bounds[size_t(bucket)]
                : std::numeric_limits<double>::infinity();
            const auto expected = std::count_if(
                seconds.cbegin(), seconds.cend(), [bound](double s) { return s <= bound; });
            Labels bucketLabels = labels;
            bucketLabels.emplace("le", leText(bucket));
            QCOMPARE(exposition.value("aimload_request_duration_seconds_bucket", bucketLabels),
                double(expected));
        }
        QCOMPARE(exposition.value("aimload_request_duration_seconds_count", labels),
            double(seconds.size()));
        const double sum = std::accumulate(seconds.cbegin(), seconds.cend(), 0.0);
        const std::optional<double> rendered
            = exposition.value("aimload_request_duration_seconds_sum", labels);
        QVERIFY(rendered);
        QVERIFY2(std::abs(*rendered - sum) < 1e-9, qPrintable(QString::number(*rendered)));
    }
    QCOMPARE(exposition.value("aimload_requests_in_flight"), 0.0);
    QVERIFY(!metrics.render().contains("an answer body"));
}

void TestPrometheusMetrics::seriesStayBounded()
{
    PrometheusMetrics metrics;
    const QStringList groups = {u"chat"_s, u"mcp"_s, u"errors"_s};
    const Outcome outcomes[] = {Outcome::Ok, Outcome::HttpError, Outcome::Timeout};
    const auto feed = [&](quint64 from, quint64 to) {
        for (quint64 id = from; id < to; ++id) {
            metrics.recordRequestFinished(
                record(id, groups.at(qsizetype(id % 3)), id % 2 ? Model::A : Model::B,
                    Endpoint::Chat, outcomes[id / 3 % 3], double(id % 700'000)));
        }
    };

    feed(0, 100);
    const Exposition early = parsed(metrics);
    feed(100, 20'000);
    const Exposition late = parsed(metrics);

    QVERIFY2(late.error.isEmpty(), qPrintable(late.error));
    QCOMPARE(late.sampleCount(), early.sampleCount());
    QCOMPARE(late.family("aimload_requests_total")->samples.size(), 3 * 2 * 3);
    double total = 0;
    for (const Sample& sample : late.family("aimload_requests_total")->samples)
        total += sample.value;
    QCOMPARE(total, 20'000.0);
}

void TestPrometheusMetrics::agentUrlLeavesOutCredentials()
{
    PrometheusMetrics metrics;
    metrics.setVersion(u"0.1.0"_s);

    metrics.setAgentUrl(QUrl(u"http://demo:hunter2@ai-agent:8001/"_s));
    const Exposition exposition = parsed(metrics);

    QVERIFY2(exposition.error.isEmpty(), qPrintable(exposition.error));
    QVERIFY(!metrics.render().contains("hunter2"));
    QCOMPARE(exposition.value("aimload_info",
                 {{"version", u"0.1.0"_s}, {"agent_url", u"http://ai-agent:8001/"_s}}),
        1.0);
}

void TestPrometheusMetrics::followsEngine()
{
    constexpr qint64 NsPerSecond = 1'000'000'000;
    QString error;
    std::optional<PromptPool> pool = PromptPool::fromJson(QByteArray(PoolJson), u"pool"_s, &error);
    QVERIFY2(pool, qPrintable(error));
    EngineSettings settings;
    settings.pacing = std::chrono::seconds(720);
    settings.seed = 7;
    ManualClock clock;
    FakeSender sender;
    sender.setHealthScript({false, true});
    LoadEngine engine(settings, *pool, &sender, &clock);
    PrometheusMetrics metrics;
    metrics.attach(&engine);
    connect(&sender, &FakeSender::healthChecked, &metrics, &PrometheusMetrics::recordHealthCheck);

    engine.start(); // the first probe fails
    QCOMPARE(parsed(metrics).value("aimload_agent_up"), 0.0);
    clock.advanceMs(1000); // the second succeeds and the first cycle sends Model A
    const Exposition running = parsed(metrics);
    QVERIFY2(running.error.isEmpty(), qPrintable(running.error));
    QCOMPARE(running.value("aimload_agent_up"), 1.0);
    QCOMPARE(running.value("aimload_agent_health_checks_total"), 2.0);
    QCOMPARE(running.value("aimload_cycles_total"), 1.0);
    QCOMPARE(running.value("aimload_requests_in_flight"), 1.0);
    QCOMPARE(running.value("aimload_next_cycle_seconds"), 720.0);
    // The manual clock fires timers exactly on time.
    QCOMPARE(running.value("aimload_cycle_start_delay_seconds_count"), 1.0);
    QCOMPARE(running.value("aimload_cycle_start_delay_seconds_bucket", {{"le", u"0.0005"_s}}), 1.0);

    clock.advanceMs(20'000);
    QVERIFY(sender.finish(sender.open().constFirst().id, Outcome::Ok, 20'000));
    // Model B stays open past the next slot, which is skipped.
    clock.advanceNs(710 * NsPerSecond);
    const Exposition skipped = parsed(metrics);
    QVERIFY2(skipped.error.isEmpty(), qPrintable(skipped.error));
    QCOMPARE(skipped.value("aimload_slots_skipped_total"), 1.0);
    QCOMPARE(skipped.value("aimload_requests_in_flight"), 1.0);
    QCOMPARE(skipped.value("aimload_next_cycle_seconds"), 710.0);
    QCOMPARE(skipped.value("aimload_requests_total",
                 {{"group", u"chat"_s}, {"model", u"a"_s}, {"endpoint", u"chat"_s},
                     {"outcome", u"ok"_s}}),
        1.0);

    engine.stop();
    const Exposition stopped = parsed(metrics);
    QVERIFY2(stopped.error.isEmpty(), qPrintable(stopped.error));
    QCOMPARE(stopped.value("aimload_requests_in_flight"), 0.0);
    QCOMPARE(stopped.value("aimload_requests_total",
                 {{"group", u"chat"_s}, {"model", u"b"_s}, {"endpoint", u"chat"_s},
                     {"outcome", u"cancelled"_s}}),
        1.0);
    QVERIFY(!stopped.value("aimload_next_cycle_seconds"));
    QCOMPARE(stopped.value("aimload_cycles_total"), double(engine.cyclesStarted()));
}

void TestPrometheusMetrics::cycleStartDelayHistogram()
{
    PrometheusMetrics metrics;
    const auto started = [&metrics](qint64 slot, double delayMs) {
        aimload::CycleInfo cycle;
        cycle.slot = slot;
        cycle.triggered = slot < 0;
        cycle.scheduledNs = 5'000'000'000;
        cycle.startedNs = cycle.scheduledNs + qint64(delayMs * 1e6);
        metrics.recordCycleStarted(cycle);
    };
    started(0, 0.2);
    started(1, 0.5); // on a bucket's upper bound: counted in it
    started(2, 1.5);
    started(3, 30.0);
    started(4, 2500.0); // beyond the last bound
    started(-1, 700.0); // triggered: no grid point

    const Exposition exposition = parsed(metrics);
    QVERIFY2(exposition.error.isEmpty(), qPrintable(exposition.error));
    const auto bucket = [&exposition](const QString& le) {
        return exposition.value("aimload_cycle_start_delay_seconds_bucket", {{"le", le}});
    };
    QCOMPARE(bucket(u"0.0005"_s), 2.0);
    QCOMPARE(bucket(u"0.001"_s), 2.0);
    QCOMPARE(bucket(u"0.002"_s), 3.0);
    QCOMPARE(bucket(u"0.05"_s), 4.0);
    QCOMPARE(bucket(u"1"_s), 4.0);
    QCOMPARE(bucket(u"+Inf"_s), 5.0);
    QCOMPARE(exposition.value("aimload_cycle_start_delay_seconds_count"), 5.0);
    QVERIFY(qAbs(*exposition.value("aimload_cycle_start_delay_seconds_sum") - 2.5322) < 1e-9);
}

QTEST_GUILESS_MAIN(TestPrometheusMetrics)
#include "tst_prometheusmetrics.moc"
