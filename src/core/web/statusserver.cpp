#include "web/statusserver.h"

#include "engine/loadengine.h"
#include "stats/statsaggregator.h"
#include "web/prometheusmetrics.h"
#include "web/statuspage.h"
#include "web/weblogging.h"

#include <QCryptographicHash>
#include <QHostAddress>
#include <QHttpServer>
#include <QJsonArray>
#include <QJsonObject>
#include <QUrlQuery>

#include <cmath>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

using StatusCode = QHttpServerResponse::StatusCode;

QByteArray sha256(const QByteArray& data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256);
}

// Compares every byte whatever the first difference, so the time taken tells a client
// nothing about how much of a guessed token was right. Both sides are SHA-256 digests,
// so the length gives nothing away either.
bool equalInConstantTime(const QByteArray& a, const QByteArray& b)
{
    if (a.size() != b.size())
        return false;
    unsigned char difference = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= uchar(a[i]) ^ uchar(b[i]);
    return difference == 0;
}

// The token of an "Authorization: Bearer <token>" header; empty when there is none.
QByteArray bearerToken(const QByteArray& authorization)
{
    constexpr QByteArrayView scheme = "bearer ";
    if (authorization.size() <= scheme.size()
        || QByteArrayView(authorization).first(scheme.size()).compare(scheme, Qt::CaseInsensitive)
            != 0)
        return {};
    return authorization.sliced(scheme.size()).trimmed();
}

void addCommonHeaders(QHttpServerResponse& response)
{
    response.setHeader("Cache-Control"_ba, "no-store"_ba);
    response.setHeader("X-Content-Type-Options"_ba, "nosniff"_ba);
    response.setHeader("Referrer-Policy"_ba, "no-referrer"_ba);
    // GuardedTcpServer closes every connection after its one answer.
    response.setHeader("Connection"_ba, "close"_ba);
}

QHttpServerResponse errorResponse(StatusCode status, const QString& reason)
{
    return QHttpServerResponse(
        QJsonObject {{u"error"_s, reason}, {u"status"_s, int(status)}}, status);
}

QByteArray methodName(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get:
        return "GET"_ba;
    case QHttpServerRequest::Method::Post:
        return "POST"_ba;
    default:
        return {};
    }
}

QJsonValue modelJson(std::optional<Model> model)
{
    return model ? QJsonValue(QString(modelLetter(*model))) : QJsonValue();
}

QJsonObject rowJson(const StatsRow& row)
{
    return {
        {u"group"_s, row.group},
        {u"model"_s, modelJson(row.model)},
        {u"requests"_s, row.requests},
        {u"failures"_s, row.failures},
        {u"cancelled"_s, row.cancelled},
        {u"failure_rate"_s, row.failureRate()},
        {u"median_ms"_s, row.medianMs},
        {u"p95_ms"_s, row.p95Ms},
        {u"p99_ms"_s, row.p99Ms},
        {u"average_ms"_s, row.averageMs},
        {u"min_ms"_s, row.minMs},
        {u"max_ms"_s, row.maxMs},
        {u"average_bytes"_s, row.averageBytes},
        {u"average_tool_calls"_s, row.averageToolCalls},
    };
}

StatsRow emptyRow(Model model)
{
    StatsRow row;
    row.model = model;
    return row;
}

QJsonValue numberOrNull(double value)
{
    return std::isfinite(value) ? QJsonValue(value) : QJsonValue();
}

QJsonObject recordJson(const RequestRecord& record)
{
    return {
        {u"id"_s, qint64(record.id)},
        {u"user"_s, record.user},
        {u"cycle"_s, qint64(record.cycle)},
        {u"triggered"_s, record.triggered},
        {u"prompt_id"_s, record.promptId},
        {u"group"_s, record.group},
        {u"description"_s, record.description},
        {u"message"_s, record.message},
        {u"model"_s, modelJson(record.model)},
        {u"endpoint"_s, endpointPath(record.endpoint).mid(1)},
        {u"workflow"_s, record.workflow},
        {u"started_at"_s, record.startedAt.toUTC().toString(Qt::ISODateWithMs)},
        {u"latency_ms"_s, record.finished() ? numberOrNull(record.latencyMs) : QJsonValue()},
        {u"http_status"_s, record.httpStatus},
        {u"response_bytes"_s, record.responseBytes},
        {u"outcome"_s, outcomeName(record.outcome)},
        {u"error"_s, record.error},
        {u"model_used"_s, record.modelUsed},
        {u"agent_latency_seconds"_s, numberOrNull(record.agentLatencySeconds)},
        {u"tool_call_count"_s, record.toolCallCount},
        {u"tool_names"_s, QJsonArray::fromStringList(record.toolNames)},
        {u"detail"_s, record.detail},
        {u"trace_id"_s, record.traceId},
        {u"span_id"_s, record.spanId},
    };
}

// The limit query item of /api/requests: absent gives the default, a whole number is
// capped at the maximum, anything else is an error.
std::optional<int> requestLimit(const QUrlQuery& query)
{
    const QStringList values = query.allQueryItemValues(u"limit"_s, QUrl::FullyDecoded);
    if (values.isEmpty())
        return StatusServer::DefaultRequestLimit;
    const QString& value = values.constFirst();
    const auto isDigit = [](QChar c) {
        return c >= u'0' && c <= u'9';
    };
    if (values.size() > 1 || value.isEmpty() || !std::all_of(value.begin(), value.end(), isDigit))
        return std::nullopt;
    // Nine digits always fit an int; anything longer is over the maximum anyway.
    const int limit = value.size() > 9 ? StatusServer::MaxRequestLimit : value.toInt();
    return std::min(limit, StatusServer::MaxRequestLimit);
}

} // namespace

StatusServer::StatusServer(LoadEngine* engine, StatsAggregator* stats, PrometheusMetrics* metrics,
    const QString& controlToken, QObject* parent)
    : QObject(parent)
    , m_engine(engine)
    , m_stats(stats)
    , m_metrics(metrics)
    , m_tokenHash(controlToken.isEmpty() ? QByteArray() : sha256(controlToken.toUtf8()))
    , m_http(new QHttpServer(this))
{
    if (engine) {
        connect(engine, &LoadEngine::requestStarted, this,
            [this](const RequestRecord& record) { m_recent.started(record); });
        connect(engine, &LoadEngine::requestFinished, this,
            [this](const RequestRecord& record) { m_recent.finished(record); });
    }
    setupRoutes();
}

StatusServer::~StatusServer() = default;

bool StatusServer::listen(const QHostAddress& address, quint16 port, QString* error)
{
    if (m_tcp) {
        if (error)
            *error = tr("status endpoint: already listening on port %1").arg(m_tcp->serverPort());
        return false;
    }

    auto* tcp = new GuardedTcpServer(this);
    tcp->setLimits(m_limits);
    if (!tcp->listen(address, port)) {
        if (error) {
            *error = tr("status endpoint: cannot listen on %1 port %2: %3")
                         .arg(address.toString(), QString::number(port), tcp->errorString());
        }
        delete tcp;
        return false;
    }

    m_http->bind(tcp);
    m_tcp = tcp;
    qCDebug(lcWeb) << "serving on" << address.toString() << "port" << tcp->serverPort();
    return true;
}

bool StatusServer::isListening() const
{
    return m_tcp && m_tcp->isListening();
}

quint16 StatusServer::port() const
{
    return m_tcp ? m_tcp->serverPort() : 0;
}

void StatusServer::setupRoutes()
{
    using Method = QHttpServerRequest::Method;
    addRoute(u"/"_s, Method::Get, &StatusServer::page);
    addRoute(u"/api/stats"_s, Method::Get, &StatusServer::stats);
    addRoute(u"/api/requests"_s, Method::Get, &StatusServer::requests);
    addRoute(u"/metrics"_s, Method::Get, &StatusServer::metrics);
    addRoute(u"/healthz"_s, Method::Get, &StatusServer::health);
    addRoute(u"/api/start"_s, Method::Post, &StatusServer::start);
    addRoute(u"/api/stop"_s, Method::Post, &StatusServer::stop);
    addRoute(u"/api/trigger"_s, Method::Post, &StatusServer::trigger);

    m_http->afterRequest([](QHttpServerResponse&& response) {
        addCommonHeaders(response);
        return std::move(response);
    });
    // QHttpServer does not pass the answers of the missing handler through afterRequest.
    m_http->setMissingHandler(
        [](const QHttpServerRequest& request, QHttpServerResponder&& responder) {
            QHttpServerResponse response = errorResponse(
                StatusCode::NotFound, tr("no such path: %1").arg(request.url().path()));
            addCommonHeaders(response);
            response.write(std::move(responder));
        });
}

void StatusServer::addRoute(const QString& path, QHttpServerRequest::Method method, Handler handler)
{
    // Routes take every method and answer a wrong one with 405; a route bound to one
    // method would leave the others to the missing handler's 404.
    m_http->route(path, [this, method, handler](const QHttpServerRequest& request) {
        if (request.method() != method) {
            QHttpServerResponse response = errorResponse(StatusCode::MethodNotAllowed,
                tr("%1 takes %2 only")
                    .arg(request.url().path(), QString::fromLatin1(methodName(method))));
            response.setHeader("Allow"_ba, methodName(method));
            return response;
        }
        return (this->*handler)(request);
    });
}

QHttpServerResponse StatusServer::page(const QHttpServerRequest&)
{
    static const QByteArray html = StatusPage::html();
    static const QByteArray policy = StatusPage::contentSecurityPolicy();
    QHttpServerResponse response("text/html; charset=utf-8"_ba, html);
    response.setHeader("Content-Security-Policy"_ba, policy);
    response.setHeader("X-Frame-Options"_ba, "DENY"_ba);
    return response;
}

QHttpServerResponse StatusServer::stats(const QHttpServerRequest&)
{
    const qint64 nextNs = m_engine ? m_engine->nextSlotInNs() : -1;
    QJsonObject json {
        {u"state"_s, stateName()},
        {u"version"_s, QString::fromLatin1(AIMLOAD_VERSION)},
        {u"control_enabled"_s, controlEnabled()},
        {u"cycles_started"_s, m_engine ? qint64(m_engine->cyclesStarted()) : 0},
        {u"cycles_completed"_s, m_engine ? qint64(m_engine->cyclesCompleted()) : 0},
        {u"slots_skipped"_s, m_engine ? qint64(m_engine->slotsSkipped()) : 0},
        {u"requests_in_flight"_s, m_engine ? m_engine->requestsInFlight() : 0},
        {u"next_cycle_in_seconds"_s, nextNs >= 0 ? QJsonValue(double(nextNs) / 1e9) : QJsonValue()},
        {u"pacing_seconds"_s,
            m_engine ? QJsonValue(double(m_engine->settings().pacing.count()) / 1000.0)
                     : QJsonValue()},
    };

    QJsonArray rows;
    if (m_stats) {
        for (const StatsRow& row : m_stats->rows())
            rows.append(rowJson(row));
    }
    const StatsRow a = m_stats ? m_stats->modelTotal(Model::A) : emptyRow(Model::A);
    const StatsRow b = m_stats ? m_stats->modelTotal(Model::B) : emptyRow(Model::B);
    json.insert(u"rows"_s, rows);
    json.insert(u"models"_s, QJsonObject {{u"a"_s, rowJson(a)}, {u"b"_s, rowJson(b)}});
    json.insert(u"total"_s, rowJson(m_stats ? m_stats->total() : StatsRow {}));
    return QHttpServerResponse(json);
}

QHttpServerResponse StatusServer::requests(const QHttpServerRequest& request)
{
    const std::optional<int> limit = requestLimit(request.query());
    if (!limit) {
        return errorResponse(StatusCode::BadRequest,
            tr("limit must be a whole number from 0 to %1").arg(MaxRequestLimit));
    }

    QJsonArray list;
    for (const RequestRecord& record : m_recent.latest(*limit))
        list.append(recordJson(record));
    return QHttpServerResponse(
        QJsonObject {{u"limit"_s, *limit}, {u"count"_s, list.size()}, {u"requests"_s, list}});
}

QHttpServerResponse StatusServer::metrics(const QHttpServerRequest&)
{
    if (!m_metrics)
        return errorResponse(StatusCode::ServiceUnavailable, tr("no metrics are collected"));
    return QHttpServerResponse(PrometheusMetrics::contentType(), m_metrics->render());
}

QHttpServerResponse StatusServer::health(const QHttpServerRequest&)
{
    return QHttpServerResponse(QJsonObject {{u"status"_s, u"ok"_s}, {u"state"_s, stateName()}});
}

QHttpServerResponse StatusServer::start(const QHttpServerRequest& request)
{
    if (auto refusal = refuseControl(request, u"start"_s))
        return std::move(*refusal);
    m_engine->start();
    return QHttpServerResponse(QJsonObject {{u"action"_s, u"start"_s}, {u"state"_s, stateName()}});
}

QHttpServerResponse StatusServer::stop(const QHttpServerRequest& request)
{
    if (auto refusal = refuseControl(request, u"stop"_s))
        return std::move(*refusal);
    m_engine->stop();
    return QHttpServerResponse(QJsonObject {{u"action"_s, u"stop"_s}, {u"state"_s, stateName()}});
}

QHttpServerResponse StatusServer::trigger(const QHttpServerRequest& request)
{
    if (auto refusal = refuseControl(request, u"trigger"_s))
        return std::move(*refusal);
    const TriggerResult result = m_engine->triggerNow();
    if (!result.accepted)
        return errorResponse(StatusCode::Conflict, result.reason);
    return QHttpServerResponse(QJsonObject {{u"action"_s, u"trigger"_s}, {u"state"_s, stateName()},
        {u"cycle"_s, qint64(m_engine->cyclesStarted())}});
}

std::optional<QHttpServerResponse> StatusServer::refuseControl(
    const QHttpServerRequest& request, const QString& action) const
{
    if (!controlEnabled()) {
        return errorResponse(StatusCode::Forbidden,
            tr("%1 is disabled: no control token is configured").arg(action));
    }

    const QByteArray authorization = request.value("authorization"_ba);
    const QByteArray token = bearerToken(authorization);
    if (token.isEmpty() || !equalInConstantTime(sha256(token), m_tokenHash)) {
        // Never the header itself: it holds whatever token the client tried.
        qCWarning(lcWeb).noquote()
            << "refused" << action << "from" << request.remoteAddress().toString()
            << (token.isEmpty() ? "without a bearer token" : "with a wrong bearer token");
        QHttpServerResponse response = errorResponse(StatusCode::Unauthorized,
            tr("%1 needs the control token as \"Authorization: Bearer <token>\"").arg(action));
        response.setHeader("WWW-Authenticate"_ba,
            token.isEmpty() ? "Bearer realm=\"aimload\""_ba
                            : "Bearer realm=\"aimload\", error=\"invalid_token\""_ba);
        return response;
    }

    if (!m_engine)
        return errorResponse(StatusCode::ServiceUnavailable, tr("there is no engine to control"));
    return std::nullopt;
}

QString StatusServer::stateName() const
{
    if (!m_engine)
        return u"idle"_s;
    switch (m_engine->state()) {
    case LoadEngine::State::Idle:
        return u"idle"_s;
    case LoadEngine::State::WaitingForAgent:
        return u"waiting"_s;
    case LoadEngine::State::Running:
        return u"running"_s;
    case LoadEngine::State::Stopped:
        return u"stopped"_s;
    }
    return {};
}

} // namespace aimload
