#include "sim/simulatedagent.h"

#include "sim/agentanswers.h"
#include "sim/fastapivalidation.h"
#include "sim/httpmessage.h"

#include <QJsonObject>
#include <QLoggingCategory>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrlQuery>

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <limits>
#include <utility>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#endif

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

Q_LOGGING_CATEGORY(lcSim, "aimload.sim", QtInfoMsg)

constexpr int ModelCount = 2;
constexpr double ModelBSlowdown = 1.15;

int modelIndex(QChar model)
{
    return model == u'b' ? 1 : 0;
}

// Starlette builds the location from the request's host header, keeping the query.
HttpResponse redirectResponse(
    const HttpRequest& request, const QByteArray& path, const QString& fallbackHost)
{
    QByteArray host = request.header("host");
    if (host.isEmpty())
        host = fallbackHost.toLatin1();
    QByteArray location = "http://" + host + path;
    if (const QByteArray query = request.query(); !query.isEmpty())
        location += '?' + query;

    HttpResponse response;
    response.status = 307;
    response.contentType.clear();
    response.headers.append({QByteArrayLiteral("location"), location});
    return response;
}

void setResetOnClose(QTcpSocket* socket)
{
#ifdef Q_OS_UNIX
    // Linger 0 makes close() send RST, so the client sees a reset and not a clean FIN.
    const linger option {1, 0};
    ::setsockopt(int(socket->socketDescriptor()), SOL_SOCKET, SO_LINGER, &option, sizeof option);
#else
    Q_UNUSED(socket);
#endif
}

enum class Route
{
    Root,
    Health,
    Chat,
    Repair,
    Status,
    Metrics,
    Prompts
};

struct RouteEntry
{
    QByteArrayView path;
    QByteArrayView method;
    Route route;
};

const RouteEntry* findRoute(QByteArrayView path)
{
    static const RouteEntry routes[] = {
        {"/", "GET", Route::Root},
        {"/health", "GET", Route::Health},
        {"/chat", "POST", Route::Chat},
        {"/repair", "POST", Route::Repair},
        {"/status", "GET", Route::Status},
        {"/metrics", "GET", Route::Metrics},
        {"/prompts", "GET", Route::Prompts},
    };
    for (const RouteEntry& entry : routes) {
        if (entry.path == path)
            return &entry;
    }
    return nullptr;
}

} // namespace

struct SimulatedAgent::Connection
{
    QTcpSocket* socket = nullptr;
    QTimer* idleTimer = nullptr;
    HttpRequestParser parser;
    HttpRequest current;
    bool busy = false; // between a complete request and its answer
    bool hung = false;
    bool closing = false;
};

struct SimulatedAgent::Job
{
    quint64 connection = 0;
    qint64 receivedAt = 0;
    qint64 durationMs = 0;
    std::function<HttpResponse(double latencySeconds)> answer;
};

struct SimulatedAgent::Lane
{
    std::deque<Job> waiting;
    std::optional<Job> running;
    QTimer* timer = nullptr;
    int requests = 0;
    int completed = 0;
    int failures = 0;
    double latencyTotal = 0.0;
};

SimulatedAgent::SimulatedAgent(QObject* parent)
    : QObject(parent)
    , m_server(new QTcpServer(this))
    , m_lanes(ModelCount)
{
    connect(m_server, &QTcpServer::newConnection, this, &SimulatedAgent::onNewConnection);
    for (int model = 0; model < ModelCount; ++model) {
        auto* timer = new QTimer(this);
        timer->setSingleShot(true);
        timer->setTimerType(Qt::PreciseTimer);
        connect(timer, &QTimer::timeout, this, [this, model] { finishJob(model); });
        m_lanes[model].timer = timer;
    }
    m_clock.start();
}

SimulatedAgent::~SimulatedAgent()
{
    close();
}

bool SimulatedAgent::listen(const QHostAddress& address, quint16 port)
{
    close();
    if (!m_server->listen(address, port)) {
        m_errorString = tr("Cannot listen on %1 port %2: %3")
                            .arg(address.toString())
                            .arg(port)
                            .arg(m_server->errorString());
        qCWarning(lcSim) << m_errorString;
        return false;
    }

    m_address = address;
    m_port = m_server->serverPort();
    m_listening = true;
    m_errorString.clear();
    m_clock.restart();
    if (m_fault == Fault::Refuse)
        m_server->close();
    qCDebug(lcSim) << "listening on" << url();
    return true;
}

void SimulatedAgent::close()
{
    m_server->close();
    m_listening = false;
    dropAllConnections();
    clearLanes();
}

QUrl SimulatedAgent::url() const
{
    if (m_port == 0)
        return {};

    QHostAddress host = m_address;
    if (host == QHostAddress::Any || host == QHostAddress::AnyIPv4)
        host = QHostAddress::LocalHost;
    else if (host == QHostAddress::AnyIPv6)
        host = QHostAddress::LocalHostIPv6;

    QUrl url;
    url.setScheme(u"http"_s);
    url.setHost(host.toString());
    url.setPort(m_port);
    return url;
}

void SimulatedAgent::setSpeed(double speed)
{
    m_speed = std::max(speed, 1e-6);
}

void SimulatedAgent::setFailureRate(double probability)
{
    m_failureRate = std::clamp(probability, 0.0, 1.0);
}

void SimulatedAgent::setAgentFailureRate(double probability)
{
    m_agentFailureRate = std::clamp(probability, 0.0, 1.0);
}

void SimulatedAgent::setSeed(quint64 seed)
{
    m_random.seed(seed);
}

void SimulatedAgent::setFault(Fault fault)
{
    const Fault previous = std::exchange(m_fault, fault);
    if (previous == fault)
        return;
    qCDebug(lcSim) << "fault" << faultName(fault);

    if (fault == Fault::Refuse) {
        // The agent process is gone: nothing accepts, nothing in flight survives.
        m_server->close();
        dropAllConnections();
        clearLanes();
        return;
    }
    if (previous == Fault::Refuse && m_listening && !m_server->listen(m_address, m_port)) {
        m_errorString = tr("Cannot listen again on %1 port %2: %3")
                            .arg(m_address.toString())
                            .arg(m_port)
                            .arg(m_server->errorString());
        qCWarning(lcSim) << m_errorString;
    }
}

void SimulatedAgent::setKeepAliveTimeout(int milliseconds)
{
    m_keepAliveTimeout = std::max(milliseconds, 1);
}

int SimulatedAgent::queuedCount(QChar model) const
{
    const Lane& lane = m_lanes[modelIndex(model)];
    return int(lane.waiting.size()) + (lane.running ? 1 : 0);
}

namespace {

struct FaultNameEntry
{
    SimulatedAgent::Fault fault;
    QStringView name;
};

constexpr FaultNameEntry FaultNameTable[] = {
    {SimulatedAgent::Fault::None, u"none"},
    {SimulatedAgent::Fault::Refuse, u"refuse"},
    {SimulatedAgent::Fault::Hang, u"hang"},
    {SimulatedAgent::Fault::ResetBeforeAnswer, u"reset-before-answer"},
    {SimulatedAgent::Fault::ResetMidBody, u"reset-mid-body"},
    {SimulatedAgent::Fault::Http500, u"http-500"},
    {SimulatedAgent::Fault::Http422, u"http-422"},
    {SimulatedAgent::Fault::Http502, u"http-502"},
    {SimulatedAgent::Fault::NotJson, u"not-json"},
    {SimulatedAgent::Fault::TruncatedJson, u"truncated-json"},
    {SimulatedAgent::Fault::WrongShape, u"wrong-shape"},
    {SimulatedAgent::Fault::EmptyBody, u"empty-body"},
    {SimulatedAgent::Fault::Redirect307, u"redirect-307"},
    {SimulatedAgent::Fault::RepairFailure, u"repair-failure"},
};

} // namespace

QString SimulatedAgent::faultName(Fault fault)
{
    for (const FaultNameEntry& entry : FaultNameTable) {
        if (entry.fault == fault)
            return entry.name.toString();
    }
    return {};
}

std::optional<SimulatedAgent::Fault> SimulatedAgent::faultFromName(QStringView name)
{
    for (const FaultNameEntry& entry : FaultNameTable) {
        if (entry.name.compare(name, Qt::CaseInsensitive) == 0)
            return entry.fault;
    }
    return std::nullopt;
}

QStringList SimulatedAgent::faultNames()
{
    QStringList names;
    for (const FaultNameEntry& entry : FaultNameTable)
        names.append(entry.name.toString());
    return names;
}

QString SimulatedAgent::modelName(QChar model)
{
    return modelIndex(model) == 1 ? u"ministral-3:8b-instruct-2512-q8_0"_s
                                  : u"mistral:7b-instruct-v0.3"_s;
}

SimulatedAgent::Connection* SimulatedAgent::connection(quint64 id) const
{
    const auto found = m_connections.find(id);
    return found == m_connections.end() ? nullptr : found->second.get();
}

void SimulatedAgent::onNewConnection()
{
    while (QTcpSocket* socket = m_server->nextPendingConnection()) {
        socket->setParent(this);
        const quint64 id = ++m_lastConnectionId;
        ++m_connectionCount;

        auto entry = std::make_unique<Connection>();
        entry->socket = socket;
        entry->idleTimer = new QTimer(socket);
        entry->idleTimer->setSingleShot(true);
        connect(socket, &QTcpSocket::readyRead, this, [this, id] { onReadyRead(id); });
        connect(socket, &QTcpSocket::disconnected, this, [this, id] { dropConnection(id); });
        connect(entry->idleTimer, &QTimer::timeout, this, [this, id] {
            // uvicorn's timeout_keep_alive: an idle connection is closed by the server.
            if (Connection* idle = connection(id); idle && !idle->busy) {
                qCDebug(lcSim) << "closing idle connection" << id;
                idle->closing = true;
                idle->socket->disconnectFromHost();
            }
        });
        armIdleTimer(entry.get());
        m_connections.emplace(id, std::move(entry));
    }
}

void SimulatedAgent::onReadyRead(quint64 id)
{
    Connection* entry = connection(id);
    if (!entry)
        return;

    const QByteArray data = entry->socket->readAll();
    if (entry->hung || entry->closing)
        return;
    entry->idleTimer->stop();
    entry->parser.feed(data);
    processBuffered(id);
}

void SimulatedAgent::processBuffered(quint64 id)
{
    Connection* entry = connection(id);
    if (!entry || entry->busy || entry->hung || entry->closing)
        return;

    HttpRequest request;
    switch (entry->parser.next(request)) {
    case HttpRequestParser::Result::NeedMore:
        armIdleTimer(entry);
        return;
    case HttpRequestParser::Result::Error: {
        qCDebug(lcSim) << "bad request on connection" << id << entry->parser.errorString();
        const int status = entry->parser.errorStatus();
        HttpResponse response = HttpResponse::plainText(status,
            status == 400 ? QByteArrayLiteral("Invalid HTTP request received.")
                          : HttpResponse::reasonPhrase(status));
        response.closeConnection = true;
        entry->closing = true;
        ++m_statusCounts[status];
        entry->socket->write(response.toByteArray());
        entry->socket->disconnectFromHost();
        return;
    }
    case HttpRequestParser::Result::Ready:
        break;
    }

    entry->busy = true;
    entry->current = request;
    ++m_requestCount;
    Q_EMIT requestReceived(
        QString::fromLatin1(request.method), QString::fromLatin1(request.target), request.body);
    if (connection(id))
        dispatch(id, request);
}

void SimulatedAgent::armIdleTimer(Connection* entry)
{
    entry->idleTimer->start(m_keepAliveTimeout);
}

void SimulatedAgent::dropConnection(quint64 id)
{
    const auto found = m_connections.find(id);
    if (found == m_connections.end())
        return;

    const std::unique_ptr<Connection> entry = std::move(found->second);
    m_connections.erase(found);
    entry->idleTimer->stop();
    entry->socket->disconnect(this);
    entry->socket->deleteLater();
}

void SimulatedAgent::dropAllConnections()
{
    // abort() can emit disconnected() at once; detach each socket before aborting it.
    auto connections = std::exchange(m_connections, {});
    for (auto& [id, entry] : connections) {
        entry->idleTimer->stop();
        entry->socket->disconnect(this);
        entry->socket->abort();
        entry->socket->deleteLater();
    }
}

void SimulatedAgent::send(quint64 id, HttpResponse response)
{
    Connection* entry = connection(id);
    if (!entry) {
        qCDebug(lcSim) << "client of connection" << id << "left before its answer";
        return;
    }

    const HttpRequest& request = entry->current;
    const bool close = response.closeConnection || !request.keepAlive();
    const QString method = QString::fromLatin1(request.method);
    const QString target = QString::fromLatin1(request.target);
    response.closeConnection = close;
    // As h11 does for HEAD: the headers describe the body, which is not sent.
    entry->socket->write(request.method == "HEAD" ? response.head() : response.toByteArray());
    entry->busy = false;
    ++m_statusCounts[response.status];

    if (close) {
        entry->closing = true;
        entry->socket->disconnectFromHost(); // may drop the connection at once
    } else {
        QMetaObject::invokeMethod(
            this, [this, id] { processBuffered(id); }, Qt::QueuedConnection);
    }
    Q_EMIT requestAnswered(method, target, response.status);
}

void SimulatedAgent::reset(quint64 id, const QByteArray& partial)
{
    const auto found = m_connections.find(id);
    if (found == m_connections.end())
        return;

    const std::unique_ptr<Connection> entry = std::move(found->second);
    m_connections.erase(found);
    QTcpSocket* socket = entry->socket;
    entry->idleTimer->stop();
    socket->disconnect(this);
    if (!partial.isEmpty()) {
        socket->write(partial);
        socket->flush();
    }
    setResetOnClose(socket);
    socket->abort();
    socket->deleteLater();
    Q_EMIT requestAnswered(
        QString::fromLatin1(entry->current.method), QString::fromLatin1(entry->current.target), 0);
}

void SimulatedAgent::dispatch(quint64 id, const HttpRequest& request)
{
    if (m_fault == Fault::Hang) {
        connection(id)->hung = true;
        return;
    }

    const QByteArray path = QByteArray::fromPercentEncoding(request.path());
    const RouteEntry* route = findRoute(path);
    if (!route) {
        // Starlette's redirect_slashes: /chat/ is redirected to /chat, whatever the method.
        if (path.size() > 1 && path.endsWith('/') && findRoute(path.chopped(1)))
            send(id, redirectResponse(request, request.path().chopped(1), url().authority()));
        else
            send(id, sim::detailResponse(404, u"Not Found"_s));
        return;
    }
    if (request.method != route->method) {
        HttpResponse response = sim::detailResponse(405, u"Method Not Allowed"_s);
        response.headers.append({QByteArrayLiteral("allow"), route->method.toByteArray()});
        send(id, response);
        return;
    }

    const bool modelRoute = route->route == Route::Chat || route->route == Route::Repair;
    if (modelRoute && m_fault != Fault::None && m_fault != Fault::RepairFailure) {
        answerWithFault(id, route->route == Route::Chat, request);
        return;
    }

    switch (route->route) {
    case Route::Root:
        send(id, sim::rootResponse());
        return;
    case Route::Health:
        send(id, sim::healthResponse(uptimeSeconds()));
        return;
    case Route::Chat:
        handleChat(id, request);
        return;
    case Route::Repair:
        handleRepair(id, request);
        return;
    case Route::Status:
        send(id, statusResponse());
        return;
    case Route::Metrics:
        send(id, metricsResponse());
        return;
    case Route::Prompts:
        send(id, sim::promptsResponse());
        return;
    }
}

void SimulatedAgent::answerWithFault(quint64 id, bool chat, const HttpRequest& request)
{
    HttpResponse response;
    switch (m_fault) {
    case Fault::ResetBeforeAnswer:
        reset(id, {});
        return;
    case Fault::ResetMidBody:
        response.body = sim::faultSample(chat);
        reset(id, response.head() + response.body.left(response.body.size() / 2));
        return;
    case Fault::Http500:
        response = sim::detailResponse(500,
            chat ? u"Chat failed: simulated fault"_s
                 : u"Repair workflow failed: simulated fault"_s);
        break;
    case Fault::Http422:
        response = sim::validationResponse(
            {chat ? sim::missingMessageError() : sim::modelChoiceError(u"query"_s, u"c"_s)});
        break;
    case Fault::Http502:
        response = sim::detailResponse(502, u"Bad Gateway"_s);
        break;
    case Fault::NotJson:
        response.contentType = QByteArrayLiteral("text/html; charset=utf-8");
        response.body = QByteArrayLiteral("<html><head><title>Service unavailable</title></head>"
                                          "<body><h1>The service is restarting</h1></body></html>");
        break;
    case Fault::TruncatedJson: {
        const QByteArray sample = sim::faultSample(chat);
        response.body = sample.left(sample.size() / 2);
        break;
    }
    case Fault::WrongShape:
        response = sim::jsonResponse(200, {{u"answer"_s, u"x"_s}});
        break;
    case Fault::EmptyBody:
        break;
    case Fault::Redirect307:
        response = redirectResponse(request, request.path() + '/', url().authority());
        break;
    case Fault::None:
    case Fault::Refuse:
    case Fault::Hang:
    case Fault::RepairFailure:
        return;
    }
    send(id, response);
}

void SimulatedAgent::handleChat(quint64 id, const HttpRequest& request)
{
    HttpResponse rejection;
    const std::optional<sim::ChatInput> input = sim::validateChat(request, &rejection);
    if (!input) {
        send(id, rejection);
        return;
    }

    const bool fails = nextUniform() < m_failureRate;
    const double slowdown = input->model == 1 ? ModelBSlowdown : 1.0;
    const double seconds = (4.0 + 8.0 * nextUniform()) * slowdown;
    const quint64 variant = m_random();
    const int model = input->model;
    const QString answer = sim::chatAnswer(input->message, variant);

    Job job;
    job.connection = id;
    job.durationMs = scaledMilliseconds(seconds);
    job.answer = [fails, model, answer](double latency) {
        if (fails)
            return sim::detailResponse(500,
                u"Chat failed: Ollama returned an error for model %1: simulated inference "
                u"failure"_s.arg(sim::modelKey(model)));
        return sim::jsonResponse(200, sim::chatAnswerObject(answer, model, latency));
    };
    enqueue(model, std::move(job));
}

void SimulatedAgent::handleRepair(quint64 id, const HttpRequest& request)
{
    // Starlette decodes the query like a form: '+' is a space.
    const QUrlQuery query(QString::fromUtf8(request.query()).replace(u'+', u' '));
    const QStringList models = query.allQueryItemValues(u"model"_s, QUrl::FullyDecoded);
    const QStringList workflows = query.allQueryItemValues(u"workflow"_s, QUrl::FullyDecoded);
    const QString modelValue = models.isEmpty() ? u"a"_s : models.last();
    if (modelValue != u"a"_s && modelValue != u"b"_s) {
        send(id, sim::validationResponse({sim::modelChoiceError(u"query"_s, modelValue)}));
        return;
    }

    const QString workflow = workflows.isEmpty() ? QString() : workflows.last();
    if (!workflow.isEmpty() && !sim::isKnownWorkflow(workflow)) {
        send(id,
            sim::detailResponse(
                500, u"Repair workflow failed: unknown workflow %1"_s.arg(workflow)));
        return;
    }

    sim::RepairDraws draws;
    draws.failure = nextUniform();
    draws.agentFailure = nextUniform();
    draws.duration = nextUniform();
    draws.degraded = nextUniform();
    draws.toolCount = nextUniform();
    draws.service = nextUniform();

    const int model = modelIndex(modelValue.at(0));
    const bool fails = draws.failure < m_failureRate;
    sim::RepairPlan plan = sim::planRepair(workflow, draws);
    if (m_fault == Fault::RepairFailure || draws.agentFailure < m_agentFailureRate)
        sim::failLastStep(plan);

    Job job;
    job.connection = id;
    job.durationMs = scaledMilliseconds(plan.seconds * (model == 1 ? ModelBSlowdown : 1.0));
    job.answer = [fails, model, plan, workflow](double latency) {
        if (fails)
            return sim::detailResponse(500,
                u"Repair workflow failed: MCP server error while running %1"_s.arg(
                    workflow.isEmpty() ? u"the open-ended workflow"_s : workflow));
        return sim::jsonResponse(200, sim::repairAnswer(plan, model, latency));
    };
    enqueue(model, std::move(job));
}

HttpResponse SimulatedAgent::statusResponse() const
{
    QJsonObject models;
    for (int model = 0; model < ModelCount; ++model) {
        const Lane& lane = m_lanes[model];
        models.insert(sim::modelKey(model),
            QJsonObject {
                {u"model"_s, modelName(sim::modelKey(model).at(0))},
                {u"requests"_s, lane.requests},
                {u"completed"_s, lane.completed},
                {u"failures"_s, lane.failures},
                {u"busy"_s, lane.running.has_value()},
                {u"queued"_s, qint64(lane.waiting.size())},
            });
    }
    return sim::jsonResponse(200,
        {
            {u"status"_s, u"running"_s},
            {u"uptime_seconds"_s, sim::rounded(uptimeSeconds(), 2)},
            {u"models"_s, models},
        });
}

HttpResponse SimulatedAgent::metricsResponse() const
{
    int completed = 0;
    double latencyTotal = 0.0;
    for (const Lane& lane : m_lanes) {
        completed += lane.completed;
        latencyTotal += lane.latencyTotal;
    }
    QJsonObject statuses;
    for (auto it = m_statusCounts.cbegin(); it != m_statusCounts.cend(); ++it)
        statuses.insert(QString::number(it.key()), it.value());

    return sim::jsonResponse(200,
        {
            {u"total_requests"_s, m_requestCount},
            {u"connections_accepted"_s, m_connectionCount},
            {u"inferences_completed"_s, completed},
            {u"average_latency_seconds"_s,
                completed == 0 ? 0.0 : sim::rounded(latencyTotal / completed, 3)},
            {u"responses_by_status"_s, statuses},
            {u"uptime_seconds"_s, sim::rounded(uptimeSeconds(), 2)},
        });
}

void SimulatedAgent::enqueue(int model, Job job)
{
    job.receivedAt = m_clock.elapsed();
    Lane& lane = m_lanes[model];
    ++lane.requests;
    lane.waiting.push_back(std::move(job));
    startNext(model);
}

void SimulatedAgent::startNext(int model)
{
    Lane& lane = m_lanes[model];
    if (lane.running || lane.waiting.empty())
        return;

    lane.running = std::move(lane.waiting.front());
    lane.waiting.pop_front();
    lane.timer->start(
        int(std::min<qint64>(lane.running->durationMs, std::numeric_limits<int>::max())));
}

void SimulatedAgent::finishJob(int model)
{
    Lane& lane = m_lanes[model];
    if (!lane.running)
        return;

    Job job = std::move(*lane.running);
    lane.running.reset();
    // The agent's latency_seconds includes the time spent queued behind the model.
    const double latency = double(m_clock.elapsed() - job.receivedAt) / 1000.0;
    HttpResponse response = job.answer(latency);
    ++lane.completed;
    lane.latencyTotal += latency;
    if (response.status >= 500)
        ++lane.failures;

    startNext(model);
    send(job.connection, std::move(response));
}

void SimulatedAgent::clearLanes()
{
    for (Lane& lane : m_lanes) {
        lane.timer->stop();
        lane.running.reset();
        lane.waiting.clear();
    }
}

// 53 random bits into [0, 1), the same on every platform for a given seed.
double SimulatedAgent::nextUniform()
{
    return double(m_random() >> 11) * (1.0 / 9007199254740992.0);
}

qint64 SimulatedAgent::scaledMilliseconds(double seconds) const
{
    return std::max<qint64>(0, std::llround(seconds * 1000.0 / m_speed));
}

double SimulatedAgent::uptimeSeconds() const
{
    return double(m_clock.elapsed()) / 1000.0;
}

} // namespace aimload
