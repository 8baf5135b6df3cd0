#include "requestdetail.h"

#include "agent/agentclient.h"
#include "models/displayformat.h"
#include "models/requesttablemodel.h"

#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

QString section(const QString& title)
{
    return u"<h3>%1</h3>"_s.arg(title.toHtmlEscaped());
}

QString pre(const QString& text)
{
    return u"<pre style=\"white-space: pre-wrap\">%1</pre>"_s.arg(text.toHtmlEscaped());
}

QString row(const QString& label, const QString& value)
{
    return u"<tr><td><b>%1</b>&nbsp;&nbsp;</td><td>%2</td></tr>"_s.arg(
        label.toHtmlEscaped(), value.toHtmlEscaped());
}

} // namespace

QUrl RequestDetail::requestUrl(const RequestRecord& record, const QUrl& agentUrl)
{
    // The client's own rule, so the pane shows exactly the URL that went out.
    ClientSettings settings;
    settings.baseUrl = agentUrl;
    return AgentClient(settings).requestUrl(record);
}

QString RequestDetail::requestBody(const RequestRecord& record)
{
    if (record.endpoint != Endpoint::Chat)
        return {};
    const QByteArray body = AgentClient::chatBody(record.message, record.model);
    return QString::fromUtf8(QJsonDocument::fromJson(body).toJson(QJsonDocument::Indented));
}

QString RequestDetail::html(const RequestRecord& record, const QUrl& agentUrl, Body body)
{
    const QString title = tr("Cycle %1 · %2 · %3 · %4")
                              .arg(QString::number(record.cycle), record.group,
                                  modelLabel(record.model), DisplayFormat::outcome(record.outcome));
    return u"<h2>%1</h2>"_s.arg(title.toHtmlEscaped()) + promptSection(record)
        + requestSection(record, agentUrl) + answerSection(record, body);
}

QString RequestDetail::promptSection(const RequestRecord& record)
{
    const QString message
        = record.message.isEmpty() ? tr("(empty message, sent on purpose)") : record.message;
    return section(tr("Prompt")) + u"<table>"_s + row(tr("Id"), record.promptId)
        + row(tr("Description"), record.description) + u"</table>"_s + pre(message);
}

QString RequestDetail::requestSection(const RequestRecord& record, const QUrl& agentUrl)
{
    const QString traceparent = record.traceId.isEmpty()
        ? tr("not sent")
        : u"00-%1-%2-01"_s.arg(record.traceId, record.spanId);
    const QString body = requestBody(record);
    const QString noBody = tr("No body: /repair takes its arguments in the query string.");
    return section(tr("Request")) + u"<table>"_s + row(tr("Method"), u"POST"_s)
        + row(tr("URL"), requestUrl(record, agentUrl).toString())
        + row(tr("traceparent"), traceparent)
        + row(tr("Sent at"), DisplayFormat::fullTime(record.startedAt)) + u"</table>"_s
        + (body.isEmpty() ? u"<p>%1</p>"_s.arg(noBody.toHtmlEscaped()) : pre(body));
}

QString RequestDetail::answerSection(const RequestRecord& record, Body body)
{
    QString text = section(tr("Answer"));
    if (!record.finished())
        return text + u"<p>%1</p>"_s.arg(tr("Waiting for the agent…").toHtmlEscaped());

    const QString agentLatency = std::isnan(record.agentLatencySeconds)
        ? tr("not reported")
        : DisplayFormat::latency(record.agentLatencySeconds * 1000.0);
    const QString tools = record.toolNames.isEmpty() ? QString::number(record.toolCallCount)
                                                     : record.toolNames.join(u", "_s);
    text += u"<table>"_s
        + row(tr("HTTP status"),
            record.httpStatus ? QString::number(record.httpStatus) : tr("no HTTP answer"))
        + row(tr("Latency"), DisplayFormat::latency(record.latencyMs))
        + row(tr("Agent's own latency"), agentLatency) + row(tr("Model used"), record.modelUsed)
        + row(tr("Tool calls"), tools)
        + row(tr("Size"), DisplayFormat::bytes(record.responseBytes));
    if (!record.error.isEmpty())
        text += row(tr("Error"), record.error);
    if (!record.detail.isEmpty())
        text += row(tr("Agent's detail"), record.detail);
    if (!record.redirectTarget.isEmpty())
        text += row(tr("Redirected to"), record.redirectTarget);
    text += u"</table>"_s;

    if (body == Body::Dropped) {
        const QString dropped
            = tr("The body is no longer kept: only the newest %1 answers keep theirs.")
                  .arg(RequestTableModel::BodiesKept);
        return text + u"<p><i>%1</i></p>"_s.arg(dropped.toHtmlEscaped());
    }
    if (body == Body::FromJournal && record.body.size() < record.responseBytes) {
        const QString head = tr("From the journal, which keeps the first %1 of each answer.")
                                 .arg(DisplayFormat::bytes(record.body.size()));
        text += u"<p><i>%1</i></p>"_s.arg(head.toHtmlEscaped());
    }
    if (record.body.isEmpty())
        return text + u"<p><i>%1</i></p>"_s.arg(tr("The answer had no body.").toHtmlEscaped());
    return text + pre(RequestTableModel::prettyBody(record.body));
}

} // namespace aimload
