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

QString RequestDetail::html(const RequestRecord& record, const QUrl& agentUrl, bool bodyKept)
{
    QString text = u"<h2>%1</h2>"_s.arg(
        tr("Cycle %1 · %2 · %3 · %4")
            .arg(QString::number(record.cycle), record.group, modelLabel(record.model),
                DisplayFormat::outcome(record.outcome))
            .toHtmlEscaped());

    text += section(tr("Prompt"));
    text += u"<table>"_s + row(tr("Id"), record.promptId)
        + row(tr("Description"), record.description) + u"</table>"_s;
    text += pre(record.message.isEmpty() ? tr("(empty message, sent on purpose)") : record.message);

    text += section(tr("Request"));
    const QString traceparent = record.traceId.isEmpty()
        ? tr("not sent")
        : u"00-%1-%2-01"_s.arg(record.traceId, record.spanId);
    text += u"<table>"_s + row(tr("Method"), u"POST"_s)
        + row(tr("URL"), requestUrl(record, agentUrl).toString())
        + row(tr("traceparent"), traceparent)
        + row(tr("Sent at"), DisplayFormat::fullTime(record.startedAt)) + u"</table>"_s;
    const QString body = requestBody(record);
    text += body.isEmpty() ? u"<p>%1</p>"_s.arg(tr("No body: /repair takes its arguments in the "
                                                   "query string.")
                                                    .toHtmlEscaped())
                           : pre(body);

    text += section(tr("Answer"));
    if (!record.finished()) {
        text += u"<p>%1</p>"_s.arg(tr("Waiting for the agent…").toHtmlEscaped());
        return text;
    }
    text += u"<table>"_s
        + row(tr("HTTP status"),
            record.httpStatus ? QString::number(record.httpStatus) : tr("no HTTP answer"))
        + row(tr("Latency"), DisplayFormat::latency(record.latencyMs))
        + row(tr("Agent's own latency"),
            std::isnan(record.agentLatencySeconds)
                ? tr("not reported")
                : DisplayFormat::latency(record.agentLatencySeconds * 1000.0))
        + row(tr("Model used"), record.modelUsed)
        + row(tr("Tool calls"),
            record.toolNames.isEmpty() ? QString::number(record.toolCallCount)
                                       : record.toolNames.join(u", "_s))
        + row(tr("Size"), DisplayFormat::bytes(record.responseBytes));
    if (!record.error.isEmpty())
        text += row(tr("Error"), record.error);
    if (!record.detail.isEmpty())
        text += row(tr("Agent's detail"), record.detail);
    if (!record.redirectTarget.isEmpty())
        text += row(tr("Redirected to"), record.redirectTarget);
    text += u"</table>"_s;

    if (!bodyKept)
        text += u"<p><i>%1</i></p>"_s.arg(
            tr("The body is no longer kept: only the newest %1 answers keep theirs.")
                .arg(RequestTableModel::BodiesKept)
                .toHtmlEscaped());
    else if (record.body.isEmpty())
        text += u"<p><i>%1</i></p>"_s.arg(tr("The answer had no body.").toHtmlEscaped());
    else
        text += pre(RequestTableModel::prettyBody(record.body));
    return text;
}

} // namespace aimload
