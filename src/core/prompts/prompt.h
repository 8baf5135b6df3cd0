#pragma once

#include <QString>
#include <QStringList>

namespace aimload {

enum class Endpoint
{
    Chat,
    Repair
};

QString endpointPath(Endpoint endpoint);

struct Prompt
{
    QString id;
    QString group;
    QString description;
    QString text;
    Endpoint endpoint = Endpoint::Chat;
    QString workflow; // only for Endpoint::Repair
    int expectedToolCalls = 0;
    bool expectSuccess = true;
};

struct PromptGroup
{
    QString name;
    double weight = 0.0;
    QList<Prompt> prompts;
};

} // namespace aimload
