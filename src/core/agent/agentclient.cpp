#include "agent/agentclient.h"

#include "agent/responseparser.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>
#include <QUrlQuery>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcClient, "aimload.client", QtWarningMsg)

namespace aimload {

struct AgentClient::Pending
{
    RequestRecord record;
    QNetworkAccessManager* manager = nullptr;
    std::multimap<qint64, QNetworkReply*>::iterator deadline;
    bool deadlineArmed = false;
    std::chrono::milliseconds timeout {0};
    qint64 queuedNs = 0;
    bool sentReported = false;
    qint64 bytesReceived = 0;
    Outcome forced = Outcome::Pending;
    QString forcedReason;
};

namespace {

QNetworkRequest baseRequest(const QUrl& url)
{
    QNetworkRequest request(url);
    // A redirect is recorded, never followed: following it would turn the POST into a
    // GET or send it somewhere the presenter did not choose.
    request.setAttribute(
        QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, url.scheme() == u"https"_s);
    request.setAttribute(QNetworkRequest::Http2CleartextAllowedAttribute, false);
    request.setAttribute(
        QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    request.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    request.setHeader(
        QNetworkRequest::UserAgentHeader, QByteArrayLiteral("aimload/" AIMLOAD_VERSION));
    request.setRawHeader(QByteArrayLiteral("Accept"), QByteArrayLiteral("application/json"));
    return request;
}

bool isNetworkLevel(QNetworkReply::NetworkError error)
{
    return error != QNetworkReply::NoError && int(error) < 200;
}

QString statusLine(int status, const QString& reason)
{
    return reason.isEmpty() ? u"HTTP %1"_s.arg(status) : u"HTTP %1 %2"_s.arg(status).arg(reason);
}

// The answer's length as its headers declare it, or -1. Qt drops the header when it
// decompresses the body, so a compressed answer has none.
qint64 declaredLength(QNetworkReply* reply)
{
    bool ok = false;
    const qint64 length = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong(&ok);
    return ok ? length : -1;
}

QString closedMidAnswer(int status, qint64 bytes, qint64 declared)
{
    return declared >= 0
        ? u"connection closed mid-answer (HTTP %1, %2 of %3 bytes received)"_s.arg(status)
              .arg(bytes)
              .arg(declared)
        : u"connection closed mid-answer (HTTP %1, %2 bytes received)"_s.arg(status).arg(bytes);
}

QString connectionError(QNetworkReply* reply, int status, qint64 bytes)
{
    switch (reply->error()) {
    case QNetworkReply::ConnectionRefusedError:
        return u"connection refused by %1"_s.arg(reply->url().authority());
    case QNetworkReply::HostNotFoundError:
        return u"host %1 not found"_s.arg(reply->url().host());
    case QNetworkReply::RemoteHostClosedError:
        if (status != 0)
            return closedMidAnswer(status, bytes, declaredLength(reply));
        return u"connection closed by the agent before its answer's headers were complete"_s;
    default:
        return reply->errorString();
    }
}

} // namespace

AgentClient::AgentClient(ClientSettings settings, QObject* parent)
    : RequestSender(parent)
    , m_settings(std::move(settings))
    , m_deadlineTimer(new QTimer(this))
{
    m_monotonic.start();
    m_deadlineTimer->setSingleShot(true);
    // A coarse timer may fire up to 5% early; onDeadlineTimer() checks the clock anyway.
    m_deadlineTimer->setTimerType(Qt::PreciseTimer);
    connect(m_deadlineTimer, &QTimer::timeout, this, &AgentClient::onDeadlineTimer);
}

AgentClient::~AgentClient()
{
    // Replies still in flight are aborted without emitting: whoever destroys the client
    // no longer listens.
    const auto replies = m_pending.keys();
    for (QNetworkReply* reply : replies) {
        reply->disconnect(this);
        reply->abort();
    }
}

QByteArray AgentClient::chatBody(const QString& message, Model model)
{
    const QJsonObject body {
        {u"message"_s, message},
        {u"model"_s, QString(modelLetter(model))},
    };
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

QByteArray AgentClient::cachedChatBody(const QString& message, Model model)
{
    constexpr qsizetype MaxCached = 256;
    QHash<QString, QByteArray>& cache = m_chatBodies[model == Model::A ? 0 : 1];
    if (const auto it = cache.constFind(message); it != cache.cend())
        return *it;
    if (cache.size() >= MaxCached)
        cache.clear();
    const QByteArray body = chatBody(message, model);
    cache.insert(message, body);
    return body;
}

QUrl AgentClient::requestUrl(const RequestRecord& record) const
{
    QUrl url = m_settings.baseUrl;
    QString path = url.path();
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path + endpointPath(record.endpoint));
    if (record.endpoint == Endpoint::Repair) {
        QUrlQuery query;
        query.addQueryItem(u"model"_s, QString(modelLetter(record.model)));
        if (!record.workflow.isEmpty())
            query.addQueryItem(
                u"workflow"_s, QString::fromLatin1(QUrl::toPercentEncoding(record.workflow)));
        url.setQuery(query.query(QUrl::FullyEncoded), QUrl::StrictMode);
    }
    return url;
}

QNetworkAccessManager* AgentClient::freeManager()
{
    for (QNetworkAccessManager* manager : m_managers) {
        if (m_load.value(manager) < RequestsPerManager)
            return manager;
    }
    auto* manager = new QNetworkAccessManager(this);
    manager->setAutoDeleteReplies(false);
    manager->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    m_managers.push_back(manager);
    qCDebug(lcClient) << "opened network manager" << m_managers.size();
    return manager;
}

QNetworkRequest AgentClient::newRequest(const RequestRecord& record)
{
    if (record.endpoint != Endpoint::Chat)
        return baseRequest(requestUrl(record));
    if (!m_chatRequest) {
        m_chatRequest = baseRequest(requestUrl(record));
        m_chatRequest->setHeader(
            QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    }
    return *m_chatRequest;
}

void AgentClient::send(RequestRecord record)
{
    auto pending = std::make_shared<Pending>();
    pending->queuedNs = m_monotonic.nsecsElapsed();
    pending->manager = freeManager();
    m_load[pending->manager] += 1;

    QNetworkRequest request = newRequest(record);
    if (!record.traceId.isEmpty())
        request.setRawHeader(QByteArrayLiteral("traceparent"),
            "00-" + record.traceId.toLatin1() + '-' + record.spanId.toLatin1() + "-01");
    QNetworkReply* reply = nullptr;
    if (record.endpoint == Endpoint::Chat) {
        reply = pending->manager->post(request, cachedChatBody(record.message, record.model));
    } else {
        // A custom verb, because post() would label the empty body as a form.
        request.setHeader(QNetworkRequest::ContentLengthHeader, 0);
        reply = pending->manager->sendCustomRequest(request, QByteArrayLiteral("POST"));
    }

    pending->timeout
        = record.endpoint == Endpoint::Chat ? m_settings.chatTimeout : m_settings.repairTimeout;
    record.startedAt = QDateTime::currentDateTimeUtc();
    pending->record = std::move(record);
    const qint64 deadlineNs = m_monotonic.nsecsElapsed()
        + std::chrono::duration_cast<std::chrono::nanoseconds>(pending->timeout).count();
    pending->deadline = m_deadlines.emplace(deadlineNs, reply);
    pending->deadlineArmed = true;
    armDeadlines(deadlineNs);

    m_pending.insert(reply, pending);
    m_byId.insert(pending->record.id, reply);

    connect(
        reply, &QNetworkReply::socketStartedConnecting, this, [this, reply] { markSent(reply); });
    connect(reply, &QNetworkReply::requestSent, this, [this, reply] { markSent(reply); });
    const auto enforceCap = [this, reply] {
        const auto it = m_pending.constFind(reply);
        if (it == m_pending.cend())
            return;
        // Nothing reads the reply before it finishes: what is buffered is what arrived.
        const qint64 received = reply->bytesAvailable();
        const qint64 total = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
        (*it)->bytesReceived = received;
        if (received > m_settings.maxResponseBytes || total > m_settings.maxResponseBytes)
            finish(reply, Outcome::InvalidResponse,
                u"answer larger than the %1 byte limit"_s.arg(m_settings.maxResponseBytes));
    };
    // Not downloadProgress: Qt emits it at most every 100 ms, time enough for a fast
    // sender to pile up many times the limit in memory.
    connect(reply, &QNetworkReply::metaDataChanged, this, enforceCap);
    connect(reply, &QNetworkReply::readyRead, this, enforceCap);
    connect(reply, &QNetworkReply::finished, this, [this, reply] { onFinished(reply); });
}

void AgentClient::armDeadlines(qint64 deadlineNs)
{
    // A timer due earlier than the new deadline stays: it re-arms when it fires.
    if (m_armedNs >= 0 && m_armedNs <= deadlineNs && m_deadlineTimer->isActive())
        return;
    const qint64 remainingNs = std::max<qint64>(0, deadlineNs - m_monotonic.nsecsElapsed());
    // Rounded up: the timer must not fire before the deadline it stands for.
    m_deadlineTimer->start(std::chrono::milliseconds((remainingNs + 999'999) / 1'000'000));
    m_armedNs = deadlineNs;
}

void AgentClient::onDeadlineTimer()
{
    m_armedNs = -1;
    while (!m_deadlines.empty()) {
        const auto first = m_deadlines.begin();
        if (first->first > m_monotonic.nsecsElapsed())
            break;
        QNetworkReply* reply = first->second;
        m_deadlines.erase(first);
        const auto it = m_pending.constFind(reply);
        if (it == m_pending.cend())
            continue;
        (*it)->deadlineArmed = false;
        const double seconds = double((*it)->timeout.count()) / 1000.0;
        finish(reply, Outcome::Timeout, u"no complete answer within %1 s"_s.arg(seconds));
    }
    if (!m_deadlines.empty())
        armDeadlines(m_deadlines.begin()->first);
}

void AgentClient::markSent(QNetworkReply* reply)
{
    const auto it = m_pending.constFind(reply);
    if (it == m_pending.cend() || (*it)->sentReported)
        return;

    (*it)->sentReported = true;
    Q_EMIT requestSent((*it)->record);
}

void AgentClient::cancel(quint64 id)
{
    if (QNetworkReply* reply = m_byId.value(id))
        finish(reply, Outcome::Cancelled, u"cancelled before the agent answered"_s);
}

void AgentClient::cancelAll()
{
    const auto replies = m_pending.keys();
    for (QNetworkReply* reply : replies)
        finish(reply, Outcome::Cancelled, u"cancelled before the agent answered"_s);
}

void AgentClient::finish(QNetworkReply* reply, Outcome forced, const QString& reason)
{
    const auto it = m_pending.constFind(reply);
    if (it == m_pending.cend() || (*it)->forced != Outcome::Pending)
        return;

    (*it)->forced = forced;
    (*it)->forcedReason = reason;
    // abort() emits finished() before it returns, which lands in onFinished().
    reply->abort();
}

void AgentClient::onFinished(QNetworkReply* reply)
{
    const std::shared_ptr<Pending> pending = m_pending.take(reply);
    if (!pending)
        return;
    m_byId.remove(pending->record.id);
    m_load[pending->manager] -= 1;
    if (pending->deadlineArmed)
        m_deadlines.erase(pending->deadline);
    if (m_deadlines.empty()) {
        m_deadlineTimer->stop();
        m_armedNs = -1;
    }
    reply->deleteLater();

    const qint64 endNs = m_monotonic.nsecsElapsed();
    // Latency runs from send(): every request gets a connection of its own at once, so
    // nothing waits inside the client. requestSent() cannot mark the start instead: Qt
    // posts it from its HTTP thread, and a busy main thread would stamp it late and
    // record a latency shorter than the agent really took.
    RequestRecord record = std::move(pending->record);
    record.latencyMs = double(endNs - pending->queuedNs) / 1e6;
    record.httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray body = pending->forced == Outcome::Pending ? reply->readAll() : QByteArray();
    record.responseBytes = std::max<qint64>(body.size(), pending->bytesReceived);

    if (pending->forced != Outcome::Pending) {
        record.outcome = pending->forced;
        record.error = pending->forcedReason;
    } else if (isNetworkLevel(reply->error())) {
        record.outcome = Outcome::ConnectionError;
        record.error = connectionError(reply, record.httpStatus, record.responseBytes);
    } else if (const qint64 declared = declaredLength(reply);
               declared > body.size() && record.httpStatus != 204 && record.httpStatus != 304) {
        // Qt reports an answer whose connection closed before the declared length arrived
        // as complete when the agent said "Connection: close", and at times after a reset
        // mid-body, depending on when it notices the close.
        record.outcome = Outcome::ConnectionError;
        record.error = closedMidAnswer(record.httpStatus, body.size(), declared);
    } else {
        classifyAnswer(reply, body, record);
    }
    record.body = body;

    qCDebug(lcClient) << "request" << record.id << outcomeName(record.outcome) << record.httpStatus
                      << record.latencyMs << "ms";
    Q_EMIT requestFinished(record);
}

void AgentClient::classifyAnswer(
    QNetworkReply* reply, const QByteArray& body, RequestRecord& record) const
{
    const int status = record.httpStatus;
    const QString reason = QString::fromUtf8(
        reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toByteArray());
    if (status >= 300 && status < 400) {
        const QUrl target = reply->url().resolved(
            QUrl::fromEncoded(reply->rawHeader(QByteArrayLiteral("Location"))));
        record.outcome = Outcome::HttpError;
        record.redirectTarget = target.toString();
        record.error = u"%1 redirect to %2 (not followed)"_s.arg(
            statusLine(status, reason), record.redirectTarget);
        return;
    }
    if (status < 200 || status >= 300) {
        ResponseParser::parseErrorDetail(body, record);
        record.outcome = Outcome::HttpError;
        record.error = record.detail.isEmpty()
            ? statusLine(status, reason)
            : u"%1: %2"_s.arg(statusLine(status, reason), record.detail);
        return;
    }

    const ResponseParser::Result result = ResponseParser::parseSuccess(body, record);
    record.outcome = result.outcome;
    record.error = result.error;
}

void AgentClient::probeHealth()
{
    QUrl url = m_settings.baseUrl;
    QString path = url.path();
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path + u"/health"_s);

    QNetworkReply* reply = freeManager()->get(baseRequest(url));
    auto* deadline = new QTimer(reply);
    deadline->setSingleShot(true);
    connect(deadline, &QTimer::timeout, reply, &QNetworkReply::abort);
    deadline->start(m_settings.healthTimeout);
    connect(reply, &QNetworkReply::finished, this,
        [this, reply, deadline] { onHealthFinished(reply, deadline); });
}

void AgentClient::onHealthFinished(QNetworkReply* reply, QTimer* deadline)
{
    reply->deleteLater();
    const bool timedOut = !deadline->isActive();
    deadline->stop();

    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 200) {
        Q_EMIT healthChecked(true, QString());
        return;
    }

    QString error;
    if (timedOut)
        error = u"%1 did not answer within %2 s"_s.arg(reply->url().toString())
                    .arg(double(m_settings.healthTimeout.count()) / 1000.0);
    else if (status != 0)
        error = u"%1 answered HTTP %2"_s.arg(reply->url().toString()).arg(status);
    else
        error = u"%1: %2"_s.arg(reply->url().toString(), connectionError(reply, 0, 0));
    Q_EMIT healthChecked(false, error);
}

} // namespace aimload
