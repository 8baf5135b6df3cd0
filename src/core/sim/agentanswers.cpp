#include "sim/agentanswers.h"

#include "sim/fastapivalidation.h"
#include "sim/simulatedagent.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace aimload::sim {

namespace {

constexpr qsizetype MaxToolResultChars = 200;

const QStringList Services = {
    u"api-gateway"_s,
    u"auth-service"_s,
    u"inventory-service"_s,
    u"payment-service"_s,
};

// Python's datetime.now().isoformat(): local time, microseconds, no zone.
QString isoTimestamp(const QDateTime& time)
{
    return time.toString(u"yyyy-MM-dd'T'HH:mm:ss.zzz"_s) + u"000"_s;
}

QString cut(const QString& text)
{
    return text.left(MaxToolResultChars);
}

ToolStep healthStep(const QString& unhealthy, bool verify)
{
    QStringList states;
    for (const QString& service : Services)
        states.append(
            u"\"%1\": \"%2\""_s.arg(service, service == unhealthy ? u"unhealthy"_s : u"up"_s));
    const QString status = unhealthy.isEmpty() ? u"healthy"_s : u"degraded"_s;

    ToolStep step;
    step.name = u"system_health"_s;
    step.result
        = cut(u"{\"status\": \"%1\", \"services\": {%2}}"_s.arg(status, states.join(u", "_s)));
    if (unhealthy.isEmpty())
        step.action = verify ? u"Verified system health: all services healthy"_s
                             : u"Checked system health: all services healthy"_s;
    else
        step.action = u"Checked system health: %1 is unhealthy"_s.arg(unhealthy);
    return step;
}

ToolStep logsStep(const QString& service)
{
    ToolStep step;
    step.name = u"container_logs"_s;
    step.arguments = {{u"container"_s, service}, {u"lines"_s, 50}};
    step.action = u"Read the last 50 log lines of %1"_s.arg(service);
    step.result = cut(u"[%1] ERROR upstream connect error or disconnect/reset before headers, "
                      u"retried 3 times\n[%1] WARN health check failed: 503 Service Unavailable\n"
                      u"[%1] INFO worker 2 restarting"_s.arg(service));
    return step;
}

ToolStep restartStep(const QString& service)
{
    ToolStep step;
    step.name = u"service_restart"_s;
    step.arguments = {{u"service"_s, service}};
    step.action = u"Restarted %1"_s.arg(service);
    step.result = cut(u"Service %1 restarted successfully; container is running and passed its "
                      u"health check"_s.arg(service));
    return step;
}

const QStringList KnownWorkflows = {
    u"minimal_single_tool"_s,
    u"forced_full_repair"_s,
    u"repair_deterministic"_s,
    u"repair_open_ended"_s,
};

} // namespace

QString modelKey(int index)
{
    return index == 1 ? u"b"_s : u"a"_s;
}

double rounded(double value, int decimals)
{
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
}

QString chatAnswer(const QString& message, quint64 variant)
{
    if (message.trimmed().isEmpty())
        return u"It looks like your message was empty. Please provide a message and I will be "
               u"happy to help."_s;

    static const QStringList templates = {
        u"Good question about \"%1\". In short: measure first, change one thing at a time and "
        u"keep every change small enough to roll back."_s,
        u"Regarding \"%1\": the most common cause is a configuration mismatch between services. "
        u"Check the logs first, then each service's health endpoint."_s,
        u"Here is a concise answer to \"%1\". Split the problem into smaller steps, verify each "
        u"one and watch latency and error rate while you do."_s,
        u"I looked into \"%1\". Everything points to normal behaviour; if you still see issues, "
        u"compare the latest deployment with the last known good one."_s,
        u"About \"%1\": consider throughput, latency and cost, and optimise for the one your "
        u"users notice first."_s,
        u"Summary for \"%1\": the system is healthy overall, although a few services answer "
        u"more slowly than usual, which is worth keeping an eye on."_s,
    };
    QStringList words = message.simplified().split(u' ');
    const bool cut = words.size() > 8;
    words = words.mid(0, 8);
    const QString topic = words.join(u' ') + (cut ? u"…"_s : QString());

    quint64 hash = 1469598103934665603ULL;
    for (const char byte : message.toUtf8())
        hash = (hash ^ static_cast<unsigned char>(byte)) * 1099511628211ULL;
    const auto index = static_cast<qsizetype>((hash + variant) % quint64(templates.size()));
    return templates.at(index).arg(topic);
}

QJsonObject chatAnswerObject(const QString& response, int model, double latency)
{
    return {
        {u"response"_s, response},
        {u"model_used"_s, SimulatedAgent::modelName(modelKey(model).at(0))},
        {u"latency_seconds"_s, rounded(latency, 3)},
        {u"timestamp"_s, isoTimestamp(QDateTime::currentDateTime())},
    };
}

bool isKnownWorkflow(const QString& workflow)
{
    return KnownWorkflows.contains(workflow);
}

// An empty workflow, like repair_open_ended, lets the model choose its tools.
RepairPlan planRepair(const QString& workflow, const RepairDraws& draws)
{
    const QString service = Services.at(qsizetype(draws.service * double(Services.size())));
    RepairPlan plan;
    if (workflow == u"minimal_single_tool"_s) {
        plan.steps = {healthStep({}, false)};
        plan.seconds = 8.0 + 12.0 * draws.duration;
    } else if (workflow == u"forced_full_repair"_s) {
        plan.steps = {healthStep({}, false), restartStep(u"api-gateway"_s), healthStep({}, true)};
        plan.seconds = 30.0 + 60.0 * draws.duration;
    } else if (workflow == u"repair_deterministic"_s) {
        if (draws.degraded < 0.3) {
            plan.steps = {healthStep(service, false), logsStep(service), restartStep(service),
                healthStep({}, true)};
            plan.seconds = 30.0 + 30.0 * draws.duration;
            plan.reasoning
                = u"%1 was unhealthy and its logs showed failing upstream calls, so I "
                  u"restarted it and verified that every service is up again."_s.arg(service);
        } else {
            plan.steps = {healthStep({}, false), healthStep({}, true)};
            plan.seconds = 10.0 + 15.0 * draws.duration;
            plan.reasoning = u"All services were healthy, so no repair was needed."_s;
        }
    } else {
        const int count = 1 + std::min(2, int(draws.toolCount * 3.0));
        const QList<ToolStep> choices
            = {healthStep({}, false), logsStep(service), restartStep(service)};
        plan.steps = choices.mid(0, count);
        plan.seconds = count * (8.0 + 12.0 * draws.duration);
        plan.reasoning = count == 1
            ? u"I checked the system health first; everything is up, so nothing else is needed."_s
            : u"I checked the system health and inspected %1 before deciding how to act."_s.arg(
                service);
    }
    return plan;
}

// The agent's own verdict is negative: its last tool call failed.
void failLastStep(RepairPlan& plan)
{
    ToolStep& last = plan.steps.last();
    last.success = false;
    last.result.clear();
    if (last.name == u"service_restart"_s) {
        const QString service = last.arguments.value(u"service"_s).toString();
        last.error = u"Container %1 did not become healthy within 30 s"_s.arg(service);
        last.action = u"Restart of %1 failed"_s.arg(service);
    } else {
        last.error = u"MCP tool call timed out after 30 s"_s;
        last.action = u"%1 failed"_s.arg(last.name);
    }
    plan.reasoning = u"The workflow did not complete: %1."_s.arg(last.error);
}

QJsonObject repairAnswer(const RepairPlan& plan, int model, double latency)
{
    const QDateTime now = QDateTime::currentDateTime();
    QJsonArray actions;
    QJsonArray restarted;
    QJsonArray calls;
    bool success = true;
    for (qsizetype i = 0; i < plan.steps.size(); ++i) {
        const ToolStep& step = plan.steps.at(i);
        const double share = double(i + 1) / double(plan.steps.size() + 1);
        const qint64 before = qint64((1.0 - share) * latency * 1000.0);
        calls.append(QJsonObject {
            {u"tool_name"_s, step.name},
            {u"arguments"_s, step.arguments},
            {u"success"_s, step.success},
            {u"result"_s, step.result},
            {u"error"_s, step.error.isEmpty() ? QJsonValue() : QJsonValue(step.error)},
            {u"timestamp"_s, isoTimestamp(now.addMSecs(-before))},
        });
        actions.append(step.action);
        success = success && step.success;
        if (step.name == u"service_restart"_s && step.success)
            restarted.append(step.arguments.value(u"service"_s));
    }

    return {
        {u"success"_s, success},
        {u"actions_taken"_s, actions},
        {u"containers_restarted"_s, restarted},
        {u"final_status"_s, success ? u"healthy"_s : u"degraded"_s},
        {u"model_used"_s, SimulatedAgent::modelName(modelKey(model).at(0))},
        {u"latency_seconds"_s, rounded(latency, 3)},
        {u"timestamp"_s, isoTimestamp(now)},
        {u"tool_calls"_s, calls},
        {u"ai_reasoning"_s, plan.reasoning.isEmpty() ? QJsonValue() : QJsonValue(plan.reasoning)},
    };
}

// The agent's copy of the pool: aimload's default pool, flattened, when it is compiled
// in, else a few prompts of its own.
HttpResponse promptsResponse()
{
    QJsonArray prompts;
    QFile file(u":/prompts/default.json"_s);
    if (file.open(QIODevice::ReadOnly)) {
        const QJsonArray groups
            = QJsonDocument::fromJson(file.readAll()).object().value(u"groups"_s).toArray();
        for (const QJsonValue& group : groups) {
            const QString name = group.toObject().value(u"name"_s).toString();
            const QJsonArray members = group.toObject().value(u"prompts"_s).toArray();
            for (const QJsonValue& member : members) {
                QJsonObject prompt = member.toObject();
                prompt.insert(u"group"_s, name);
                prompts.append(prompt);
            }
        }
    }
    if (prompts.isEmpty()) {
        const auto prompt = [](const QString& id, const QString& text) {
            return QJsonObject {{u"id"_s, id}, {u"group"_s, u"simple_chat"_s}, {u"text"_s, text}};
        };
        prompts = {
            prompt(u"chat_latency"_s, u"Why is the checkout service slow today?"_s),
            prompt(u"chat_summary"_s, u"Summarise the health of the platform in two sentences."_s),
            prompt(u"chat_empty"_s, QString()),
        };
    }
    return jsonResponse(200, {{u"count"_s, prompts.size()}, {u"prompts"_s, prompts}});
}

HttpResponse rootResponse()
{
    const QJsonObject models {
        {u"a"_s, SimulatedAgent::modelName(u'a')},
        {u"b"_s, SimulatedAgent::modelName(u'b')},
    };
    const QJsonArray endpoints {
        u"/health"_s, u"/chat"_s, u"/repair"_s, u"/status"_s, u"/metrics"_s, u"/prompts"_s};
    return jsonResponse(200,
        {
            {u"service"_s, u"ai-agent"_s},
            {u"version"_s, u"2.0.0-sim"_s},
            {u"description"_s, u"Simulated AI agent for aimload"_s},
            {u"models"_s, models},
            {u"endpoints"_s, endpoints},
        });
}

HttpResponse healthResponse(double uptimeSeconds)
{
    return jsonResponse(200,
        {
            {u"status"_s, u"healthy"_s},
            {u"service"_s, u"ai-agent"_s},
            {u"version"_s, u"2.0.0-sim"_s},
            {u"uptime_seconds"_s, rounded(uptimeSeconds, 2)},
        });
}

// A well-formed answer for the faults that spoil one.
QByteArray faultSample(bool chat)
{
    if (chat)
        return compactJson(chatAnswerObject(u"This answer is complete and well formed, but it "
                                            u"comes from a simulated agent with a fault."_s,
            0, 1.0));
    return compactJson(repairAnswer(planRepair(u"minimal_single_tool"_s, {}), 0, 1.0));
}

} // namespace aimload::sim
