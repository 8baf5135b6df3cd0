#include "report/htmlreport.h"
#include "report/jsonreport.h"
#include "report/reportrecorder.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include <cmath>

using namespace Qt::StringLiterals;
using aimload::Endpoint;
using aimload::HtmlReport;
using aimload::JsonReport;
using aimload::Model;
using aimload::Outcome;
using aimload::ReportRecorder;
using aimload::ReportRunInfo;
using aimload::RequestRecord;
using aimload::StatsAggregator;
using aimload::StatsRow;

namespace {

const QDateTime Base = QDateTime(QDate(2024, 5, 1), QTime(12, 0), Qt::UTC);
const QString ScriptGroup = u"<script>alert(1)</script>"_s;
const QString QuoteGroup = u"q\"uote's <b>group</b>"_s;
const QString ImgText = u"\"><img src=x onerror=alert(1)>"_s;
const QString AmpText = u"&amp; done"_s;

RequestRecord record(const QString& group, Model model, Outcome outcome, double latencyMs,
    int secondsAfterBase, const QString& error = {})
{
    RequestRecord record;
    record.id = quint64(secondsAfterBase) + 1;
    record.group = group;
    record.promptId = u"prompt"_s;
    record.description = ImgText;
    record.message = ScriptGroup;
    record.model = model;
    record.endpoint = Endpoint::Chat;
    record.startedAt = Base.addSecs(secondsAfterBase);
    record.latencyMs = latencyMs;
    record.outcome = outcome;
    record.httpStatus = outcome == Outcome::HttpError ? 500 : 200;
    record.responseBytes = 100;
    record.toolCallCount = model == Model::A ? 1 : 2;
    record.error = error;
    return record;
}

ReportRunInfo runInfo()
{
    ReportRunInfo info;
    info.startedAt = Base;
    info.endedAt = Base.addSecs(3600);
    info.endReason = u"stopped"_s;
    info.agentUrl = QUrl(u"http://user:secret@agent.example:8001/base"_s);
    info.pacing = std::chrono::seconds(720);
    info.users = 1;
    info.seed = 424242;
    info.poolSource = u"\"><svg onload=alert(1)>.json"_s;
    info.poolSummary = u"3 prompts in 3 groups: <script>alert(3)</script> 1 (33%)"_s;
    info.groups = {u"simple_chat"_s, QuoteGroup, ScriptGroup};
    return info;
}

QList<RequestRecord> records()
{
    QList<RequestRecord> list;
    int t = 0;
    for (int i = 0; i < 6; ++i) {
        list.append(record(u"simple_chat"_s, Model::A, Outcome::Ok, 1000.0 + 100 * i, t += 30));
        list.append(record(u"simple_chat"_s, Model::B, Outcome::Ok, 1500.0 + 50 * i, t += 30));
    }
    list.append(record(QuoteGroup, Model::A, Outcome::Ok, 8000.0, t += 30));
    list.append(record(QuoteGroup, Model::B, Outcome::HttpError, 200.0, t += 30, AmpText));
    list.append(record(ScriptGroup, Model::A, Outcome::AgentFailure, 12000.0, t += 30, ImgText));
    list.append(record(ScriptGroup, Model::A, Outcome::Timeout, 660000.0, t += 30, ScriptGroup));
    return list;
}

void feed(ReportRecorder& recorder, const QList<RequestRecord>& list)
{
    recorder.setHeartbeatInterval(std::chrono::milliseconds(0));
    recorder.setRunInfo(runInfo());
    recorder.startRun();
    for (const RequestRecord& request : list)
        recorder.addRecord(request);
    recorder.finishRun(u"stopped"_s);
}

const QStringList AllowedTags {u"html"_s, u"head"_s, u"meta"_s, u"title"_s, u"style"_s, u"body"_s,
    u"h1"_s, u"h2"_s, u"h3"_s, u"p"_s, u"dl"_s, u"dt"_s, u"dd"_s, u"div"_s, u"table"_s, u"thead"_s,
    u"tbody"_s, u"tr"_s, u"th"_s, u"td"_s, u"ul"_s, u"li"_s, u"span"_s, u"svg"_s, u"line"_s,
    u"text"_s, u"rect"_s, u"circle"_s, u"polyline"_s};
const QStringList AllowedAttributes {u"lang"_s, u"charset"_s, u"http-equiv"_s, u"content"_s,
    u"name"_s, u"class"_s, u"viewBox"_s, u"role"_s, u"aria-label"_s, u"x"_s, u"y"_s, u"x1"_s,
    u"y1"_s, u"x2"_s, u"y2"_s, u"width"_s, u"height"_s, u"fill"_s, u"stroke"_s, u"stroke-opacity"_s,
    u"stroke-width"_s, u"points"_s, u"cx"_s, u"cy"_s, u"r"_s, u"text-anchor"_s, u"style"_s,
    u"rowspan"_s, u"colspan"_s};

// Every '<' of the page opens a tag aimload wrote, since data never brings a raw one:
// each must be a known tag with known, double-quoted attributes. Returns the first
// problem, or nothing.
QString checkTags(const QString& html)
{
    static const QRegularExpression tagPattern(u"<(/?)([^\\s>/]+)([^>]*)>"_s);
    static const QRegularExpression attributePattern(u"\\s+([A-Za-z][A-Za-z0-9-]*)=\"([^\"]*)\""_s);
    qsizetype position = 0;
    while ((position = html.indexOf(u'<', position)) >= 0) {
        const QRegularExpressionMatch tag = tagPattern.match(html, position,
            QRegularExpression::NormalMatch, QRegularExpression::AnchorAtOffsetMatchOption);
        if (!tag.hasMatch())
            return u"a '<' that opens no tag at %1"_s.arg(position);
        position = tag.capturedEnd();
        const QString name = tag.captured(2);
        if (name == u"!DOCTYPE"_s)
            continue;
        if (!AllowedTags.contains(name))
            return u"tag <%1>"_s.arg(name);

        QString rest = tag.captured(3);
        QRegularExpressionMatchIterator attributes = attributePattern.globalMatch(rest);
        while (attributes.hasNext()) {
            const QRegularExpressionMatch attribute = attributes.next();
            const QString attributeName = attribute.captured(1);
            if (!AllowedAttributes.contains(attributeName))
                return u"attribute %1 in <%2>"_s.arg(attributeName, name);
            if (attributeName == u"style"_s
                && !QRegularExpression(u"^background:#[0-9a-f]{6}$"_s)
                        .match(attribute.captured(2))
                        .hasMatch())
                return u"style \"%1\""_s.arg(attribute.captured(2));
        }
        rest.remove(attributePattern);
        if (!rest.trimmed().isEmpty() && rest.trimmed() != u"/"_s)
            return u"unquoted or stray attribute text \"%1\" in <%2>"_s.arg(rest, name);
    }
    return QString();
}

QStringList svgElements(const QString& html)
{
    QStringList svgs;
    qsizetype from = 0;
    while ((from = html.indexOf(u"<svg"_s, from)) >= 0) {
        const qsizetype to = html.indexOf(u"</svg>"_s, from);
        if (to < 0)
            break;
        svgs.append(html.mid(from, to + 6 - from));
        from = to + 6;
    }
    return svgs;
}

} // namespace

class TestReportHtml : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void onlyOwnTags();
    void hostileTextEscaped_data();
    void hostileTextEscaped();
    void nothingRemote();
    void svgWellFormed();
    void sections();
    void emptyRun();

    void jsonRows();
    void jsonComparisonAndFailures();
    void jsonRun();

    void writtenAtomically_data();
    void writtenAtomically();
    void unwritable_data();
    void unwritable();

private:
    ReportRecorder m_recorder;
    StatsAggregator m_expected;
    QString m_html;
    QJsonObject m_json;
};

void TestReportHtml::initTestCase()
{
    const QList<RequestRecord> list = records();
    feed(m_recorder, list);
    m_expected.setGroupOrder(runInfo().groups);
    for (const RequestRecord& request : list)
        m_expected.add(request);
    m_html = HtmlReport::toHtml(m_recorder);
    m_json = JsonReport::toJson(m_recorder);
}

void TestReportHtml::onlyOwnTags()
{
    const QString problem = checkTags(m_html);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    QVERIFY(!m_html.contains(u"<script"_s, Qt::CaseInsensitive));
    QVERIFY(!m_html.contains(u"<img"_s, Qt::CaseInsensitive));
    QVERIFY(!m_html.contains(u"<b>"_s));
}

void TestReportHtml::hostileTextEscaped_data()
{
    QTest::addColumn<QString>("escaped");

    QTest::newRow("script") << u"&lt;script&gt;alert(1)&lt;/script&gt;"_s;
    QTest::newRow("img") << u"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"_s;
    QTest::newRow("ampersand") << u"&amp;amp; done"_s;
    QTest::newRow("quotes-in-group") << u"q&quot;uote&#39;s &lt;b&gt;group&lt;/b&gt;"_s;
    QTest::newRow("pool-summary") << u"&lt;script&gt;alert(3)&lt;/script&gt;"_s;
    QTest::newRow("pool-source") << u"&quot;&gt;&lt;svg onload=alert(1)&gt;.json"_s;
    QTest::newRow("group-name-in-name") << u"&lt;script&gt;alert(1)&lt;/script&gt; (Model A)"_s;
}

void TestReportHtml::hostileTextEscaped()
{
    QFETCH(QString, escaped);

    QVERIFY2(m_html.contains(escaped), qPrintable(escaped));
}

void TestReportHtml::nothingRemote()
{
    // The agent's URL is shown as text, without its password; no other URL at all.
    const QString agent = runInfo().agentUrlText();
    QCOMPARE(agent, u"http://agent.example:8001/base"_s);
    QVERIFY(m_html.count(u"http://"_s) > 0);
    QCOMPARE(m_html.count(u"http://"_s), m_html.count(HtmlReport::escape(agent)));
    QCOMPARE(m_html.count(u"https://"_s), 0);
    QVERIFY(!m_html.contains(u"secret"_s));
    QVERIFY(!m_html.contains(u"url("_s, Qt::CaseInsensitive));
    QVERIFY(!m_html.contains(u"@import"_s, Qt::CaseInsensitive));
    QVERIFY(m_html.contains(u"Content-Security-Policy"_s));
}

void TestReportHtml::svgWellFormed()
{
    const QStringList svgs = svgElements(m_html);
    QCOMPARE(svgs.size(), 3);
    for (const QString& svg : svgs) {
        QXmlStreamReader xml(svg);
        while (!xml.atEnd())
            xml.readNext();
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    }
    // Bar tooltips name the group, escaped.
    QVERIFY(svgs.at(0).contains(u"<title>&lt;script&gt;alert(1)&lt;/script&gt;: 1 request"_s));
}

void TestReportHtml::sections()
{
    QVERIFY(m_html.startsWith(u"<!DOCTYPE html>"_s));
    QVERIFY(m_html.contains(u"<meta charset=\"utf-8\">"_s));
    for (const QString& heading :
        {u"Summary"_s, u"Statistics"_s, u"Model A and Model B"_s, u"Failures"_s, u"Charts"_s})
        QVERIFY2(m_html.contains(u"<h2>"_s + heading + u"</h2>"_s), qPrintable(heading));
    QVERIFY(m_html.contains(u"<dd>424242</dd>"_s));
    QVERIFY(m_html.contains(u"2024-05-01 12:00:00 UTC"_s));
    QVERIFY(m_html.contains(u"<td class=\"text\">simple_chat (Model A)</td>"_s));
    QVERIFY(m_html.contains(u"<td class=\"text\">Aggregated</td>"_s));
    QVERIFY(m_html.contains(u"All groups"_s));
    // simple_chat: A median 1200 ms, B median 1600 ms.
    const StatsRow chatA = m_expected.rows().at(0);
    QCOMPARE(chatA.medianMs, 1200.0);
    QVERIFY(m_html.contains(u"<td class=\"worse\">+400 (+33.3 %)</td>"_s));
    QVERIFY(m_html.contains(u"<td class=\"error\">&lt;script&gt;alert(1)&lt;/script&gt;</td>"_s));
}

void TestReportHtml::emptyRun()
{
    ReportRecorder recorder;
    recorder.setHeartbeatInterval(std::chrono::milliseconds(0));
    const QString html = HtmlReport::toHtml(recorder);
    QCOMPARE(html.count(u"<svg"_s), 0);
    QCOMPARE(html.count(u"No requests yet."_s), 3);
    QVERIFY(html.contains(u"No request failed."_s));
    QVERIFY(html.contains(u"not started"_s));
    const QString problem = checkTags(html);
    QVERIFY2(problem.isEmpty(), qPrintable(problem));

    const QJsonObject json = JsonReport::toJson(recorder);
    QCOMPARE(json.value(u"total"_s).toObject().value(u"requests"_s).toInteger(), 0);
    QVERIFY(json.value(u"total"_s)
                .toObject()
                .value(u"latency_ms"_s)
                .toObject()
                .value(u"median"_s)
                .isNull());
}

void TestReportHtml::jsonRows()
{
    QCOMPARE(m_json.value(u"format"_s).toString(), u"aimload-report"_s);
    const QJsonArray rows = m_json.value(u"rows"_s).toArray();
    const QList<StatsRow> expected = m_expected.rows();
    QCOMPARE(rows.size(), expected.size());
    for (qsizetype i = 0; i < expected.size(); ++i) {
        const QJsonObject row = rows.at(i).toObject();
        const StatsRow& want = expected.at(i);
        QCOMPARE(row.value(u"group"_s).toString(), want.group);
        QCOMPARE(row.value(u"model"_s).toString(), QString(aimload::modelLetter(*want.model)));
        QCOMPARE(row.value(u"requests"_s).toInteger(), want.requests);
        QCOMPARE(row.value(u"failures"_s).toInteger(), want.failures);
        const QJsonObject latency = row.value(u"latency_ms"_s).toObject();
        QCOMPARE(latency.value(u"median"_s).toDouble(), want.medianMs);
        QCOMPARE(latency.value(u"max"_s).toDouble(), want.maxMs);
        QCOMPARE(latency.value(u"percentiles"_s).toObject().value(u"95%"_s).toDouble(), want.p95Ms);
        QCOMPARE(latency.value(u"percentiles"_s).toObject().value(u"99.9%"_s).toDouble(),
            m_expected.percentile(want, 99.9));
    }
    const QJsonObject total = m_json.value(u"total"_s).toObject();
    QCOMPARE(total.value(u"requests"_s).toInteger(), m_expected.total().requests);
    QVERIFY(total.value(u"model"_s).isNull());
    QCOMPARE(m_json.value(u"models"_s).toArray().at(1).toObject().value(u"requests"_s).toInteger(),
        m_expected.modelTotal(Model::B).requests);
}

void TestReportHtml::jsonComparisonAndFailures()
{
    const QJsonArray comparison = m_json.value(u"ab_comparison"_s).toArray();
    QCOMPARE(comparison.size(), 4);
    const QJsonObject overall = comparison.last().toObject();
    QVERIFY(overall.value(u"group"_s).isNull());
    QCOMPARE(overall.value(u"a"_s).toObject().value(u"requests"_s).toInteger(),
        m_expected.modelTotal(Model::A).requests);
    const QJsonObject chat = comparison.first().toObject();
    QCOMPARE(chat.value(u"b_minus_a"_s).toObject().value(u"median_ms"_s).toDouble(), 400.0);
    QCOMPARE(chat.value(u"b_minus_a"_s).toObject().value(u"average_tool_calls"_s).toDouble(), 1.0);
    // The script group only ever went to Model A: B's side has no latency.
    const QJsonObject onlyA = comparison.at(2).toObject();
    QCOMPARE(onlyA.value(u"group"_s).toString(), ScriptGroup);
    QVERIFY(onlyA.value(u"b"_s).toObject().value(u"median_ms"_s).isNull());
    QVERIFY(onlyA.value(u"b_minus_a"_s).toObject().value(u"median_ms"_s).isNull());

    qint64 occurrences = 0;
    const QJsonArray failures = m_json.value(u"failures"_s).toArray();
    for (const QJsonValue& failure : failures)
        occurrences += failure.toObject().value(u"occurrences"_s).toInteger();
    QCOMPARE(occurrences, m_expected.failures());
    QCOMPARE(failures.size(), 3);
}

void TestReportHtml::jsonRun()
{
    const QJsonObject run = m_json.value(u"run"_s).toObject();
    QCOMPARE(run.value(u"seed"_s).toString(), u"424242"_s);
    QCOMPARE(run.value(u"agent_url"_s).toString(), u"http://agent.example:8001/base"_s);
    QCOMPARE(run.value(u"pacing_seconds"_s).toDouble(), 720.0);
    QCOMPARE(run.value(u"end_reason"_s).toString(), u"stopped"_s);
    QCOMPARE(run.value(u"started_at"_s).toString(), u"2024-05-01T12:00:00.000Z"_s);
    const QJsonObject counts = m_json.value(u"counts"_s).toObject();
    QCOMPARE(counts.value(u"requests"_s).toInteger(), m_expected.total().requests);
    QCOMPARE(counts.value(u"failures"_s).toInteger(), m_expected.failures());
}

void TestReportHtml::writtenAtomically_data()
{
    QTest::addColumn<bool>("html");

    QTest::newRow("html") << true;
    QTest::newRow("json") << false;
}

void TestReportHtml::writtenAtomically()
{
    QFETCH(bool, html);

    QTemporaryDir dir;
    const QString path = dir.filePath(html ? u"report.html"_s : u"report.json"_s);
    QString error;
    const bool written = html ? HtmlReport::write(path, m_recorder, &error)
                              : JsonReport::write(path, m_recorder, &error);
    QVERIFY2(written, qPrintable(error));
    QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
        QStringList {QFileInfo(path).fileName()});

    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray content = file.readAll();
    if (html) {
        QVERIFY(content.endsWith("</html>\n"));
    } else {
        QJsonParseError parseError;
        QJsonDocument::fromJson(content, &parseError);
        QCOMPARE(parseError.error, QJsonParseError::NoError);
    }
}

void TestReportHtml::unwritable_data()
{
    QTest::addColumn<bool>("html");
    QTest::addColumn<QString>("location");

    QTest::newRow("html-missing-directory") << true << u"missing"_s;
    QTest::newRow("html-under-a-file") << true << u"plain.txt"_s;
    QTest::newRow("json-missing-directory") << false << u"missing"_s;
    QTest::newRow("json-under-a-file") << false << u"plain.txt"_s;
}

void TestReportHtml::unwritable()
{
    QFETCH(bool, html);
    QFETCH(QString, location);

    QTemporaryDir dir;
    QFile plain(dir.filePath(u"plain.txt"_s));
    QVERIFY(plain.open(QIODevice::WriteOnly));
    plain.close();
    const QString path = dir.filePath(location + u"/report"_s);

    QString error;
    const bool written = html ? HtmlReport::write(path, m_recorder, &error)
                              : JsonReport::write(path, m_recorder, &error);
    QVERIFY(!written);
    QVERIFY2(error.contains(QDir::toNativeSeparators(path)), qPrintable(error));
    QVERIFY(!error.contains(u'\n'));
}

QTEST_GUILESS_MAIN(TestReportHtml)
#include "tst_reporthtml.moc"
