#pragma once

#include "sim/httpmessage.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <optional>

// The simulated agent's answers shaped as FastAPI 0.92 (pydantic 1) shapes them, and its
// validation of a POST /chat body.
namespace aimload::sim {

struct ChatInput
{
    QString message;
    int model = 0;
};

QByteArray compactJson(const QJsonObject& object);
HttpResponse jsonResponse(int status, const QJsonObject& object);
HttpResponse detailResponse(int status, const QString& detail);

QJsonObject modelChoiceError(const QString& where, const QJsonValue& given);
QJsonObject missingMessageError();
HttpResponse validationResponse(const QJsonArray& errors);

// The input of POST /chat, or nullopt with the answer FastAPI gives instead.
std::optional<ChatInput> validateChat(const HttpRequest& request, HttpResponse* rejection);

} // namespace aimload::sim
