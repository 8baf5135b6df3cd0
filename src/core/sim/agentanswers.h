#pragma once

#include "sim/httpmessage.h"

#include <QJsonObject>
#include <QList>
#include <QString>

// What the simulated agent answers once a request is valid: chat replies, repair
// workflows with their tool calls, and the fixed routes.
namespace aimload::sim {

struct ToolStep
{
    QString name;
    QJsonObject arguments;
    QString action;
    QString result;
    bool success = true;
    QString error;
};

struct RepairPlan
{
    QList<ToolStep> steps;
    double seconds = 0.0;
    QString reasoning; // null in the answer when empty
};

// Uniform draws taken for every /repair, whatever the workflow, so one request never
// shifts the random sequence of the next by a different amount.
struct RepairDraws
{
    double failure = 0.0;
    double agentFailure = 0.0;
    double duration = 0.0;
    double degraded = 0.0;
    double toolCount = 0.0;
    double service = 0.0;
};

QString modelKey(int index); // "a" or "b"
double rounded(double value, int decimals);

QString chatAnswer(const QString& message, quint64 variant);
QJsonObject chatAnswerObject(const QString& response, int model, double latency);

bool isKnownWorkflow(const QString& workflow);
RepairPlan planRepair(const QString& workflow, const RepairDraws& draws);
void failLastStep(RepairPlan& plan);
QJsonObject repairAnswer(const RepairPlan& plan, int model, double latency);

HttpResponse promptsResponse();
HttpResponse rootResponse();
HttpResponse healthResponse(double uptimeSeconds);
QByteArray faultSample(bool chat);

} // namespace aimload::sim
