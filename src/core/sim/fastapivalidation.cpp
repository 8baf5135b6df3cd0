#include "sim/fastapivalidation.h"

#include "sim/pythonjsonscanner.h"

#include <QByteArrayView>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QVariant>

using namespace Qt::StringLiterals;

namespace aimload::sim {

namespace {

QJsonObject validationError(
    const QJsonArray& loc, const QString& msg, const QString& type, const QJsonObject& ctx = {})
{
    QJsonObject error {{u"loc"_s, loc}, {u"msg"_s, msg}, {u"type"_s, type}};
    if (!ctx.isEmpty())
        error.insert(u"ctx"_s, ctx);
    return error;
}

// What FastAPI 0.92 (pydantic 1) reports for a body json.loads() rejects.
QJsonObject jsonDecodeError(const QString& document, const QString& message, qsizetype position)
{
    const QList<uint> points = document.toUcs4();
    qsizetype lineStart = 0;
    qsizetype line = 1;
    for (qsizetype i = 0; i < position && i < points.size(); ++i) {
        if (points.at(i) == '\n') {
            ++line;
            lineStart = i + 1;
        }
    }
    const qsizetype column = position - lineStart + 1;
    const QJsonObject ctx {
        {u"msg"_s, message},
        {u"doc"_s, document},
        {u"pos"_s, position},
        {u"lineno"_s, line},
        {u"colno"_s, column},
    };
    const QString text
        = u"%1: line %2 column %3 (char %4)"_s.arg(message).arg(line).arg(column).arg(position);
    return validationError(
        QJsonArray {u"body"_s, position}, text, u"value_error.jsondecode"_s, ctx);
}

// Parses any JSON value, scalars included, as Python's json.loads() does.
std::optional<QJsonValue> parsePythonJson(const QByteArray& body, QJsonObject* error)
{
    const QString document = QString::fromUtf8(body);
    if (const auto invalid = PythonJsonScanner(document).error()) {
        *error = jsonDecodeError(document, invalid->first, invalid->second);
        return std::nullopt;
    }

    // QJsonDocument only takes objects and arrays at the top level.
    QJsonParseError parseError;
    const QJsonArray values = QJsonDocument::fromJson('[' + body + ']', &parseError).array();
    // TODO: Python accepts NaN and Infinity, Qt does not: such a body is answered as "not
    // a valid dict" even where FastAPI would turn the number into a message like "nan".
    if (parseError.error != QJsonParseError::NoError || values.size() != 1)
        return QJsonValue();
    return values.first();
}

bool isJsonContentType(const QByteArray& contentType)
{
    const QByteArray mime = contentType.split(';').first().trimmed().toLower();
    const qsizetype slash = mime.indexOf('/');
    if (slash < 0 || mime.left(slash) != "application")
        return false;
    const QByteArray subtype = mime.mid(slash + 1);
    return subtype == "json" || subtype.endsWith("+json");
}

// pydantic 1 turns numbers and booleans into strings for a str field.
std::optional<QString> coerceToString(const QJsonValue& value)
{
    if (value.isString())
        return value.toString();
    if (value.isBool())
        return value.toBool() ? u"True"_s : u"False"_s;
    if (value.isDouble())
        return value.toVariant().toString();
    return std::nullopt;
}

// FastAPI 0.92 reads the body as JSON only without a content-type or with a JSON one;
// anything else reaches pydantic as bytes, which is "not a valid dict".
std::optional<QJsonValue> chatBody(const HttpRequest& request, HttpResponse* rejection)
{
    if (request.body.isEmpty()) {
        *rejection = validationResponse({validationError(
            QJsonArray {u"body"_s}, u"field required"_s, u"value_error.missing"_s)});
        return std::nullopt;
    }
    if (request.hasHeader("content-type") && !isJsonContentType(request.header("content-type")))
        return QJsonValue(QJsonValue::Undefined);
    if (!QByteArrayView(request.body).isValidUtf8()) {
        *rejection = detailResponse(400, u"There was an error parsing the body"_s);
        return std::nullopt;
    }

    QJsonObject error;
    std::optional<QJsonValue> parsed = parsePythonJson(request.body, &error);
    if (!parsed)
        *rejection = validationResponse({error});
    return parsed;
}

// pydantic 1 validates a model from anything dict() accepts: a list of pairs, even "".
std::optional<QJsonObject> pydanticDict(const QJsonValue& value)
{
    if (value.isObject())
        return value.toObject();
    if (value.isString() && value.toString().isEmpty())
        return QJsonObject();
    if (!value.isArray())
        return std::nullopt;

    QJsonObject object;
    const QJsonArray pairs = value.toArray();
    for (const QJsonValue& pair : pairs) {
        if (!pair.isArray() || pair.toArray().size() != 2)
            return std::nullopt;
        const QJsonValue key = pair.toArray().at(0);
        if (key.isString())
            object.insert(key.toString(), pair.toArray().at(1));
    }
    return object;
}

} // namespace

QByteArray compactJson(const QJsonObject& object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

HttpResponse jsonResponse(int status, const QJsonObject& object)
{
    HttpResponse response;
    response.status = status;
    response.body = compactJson(object);
    return response;
}

HttpResponse detailResponse(int status, const QString& detail)
{
    return jsonResponse(status, {{u"detail"_s, detail}});
}

QJsonObject modelChoiceError(const QString& where, const QJsonValue& given)
{
    const QJsonObject ctx {{u"given"_s, given}, {u"permitted"_s, QJsonArray {u"a"_s, u"b"_s}}};
    return validationError(QJsonArray {where, u"model"_s},
        u"unexpected value; permitted: 'a', 'b'"_s, u"value_error.const"_s, ctx);
}

QJsonObject missingMessageError()
{
    return validationError(
        QJsonArray {u"body"_s, u"message"_s}, u"field required"_s, u"value_error.missing"_s);
}

HttpResponse validationResponse(const QJsonArray& errors)
{
    return jsonResponse(422, {{u"detail"_s, errors}});
}

std::optional<ChatInput> validateChat(const HttpRequest& request, HttpResponse* rejection)
{
    const std::optional<QJsonValue> body = chatBody(request, rejection);
    if (!body)
        return std::nullopt;
    if (body->isNull()) {
        *rejection = validationResponse({validationError(
            QJsonArray {u"body"_s}, u"field required"_s, u"value_error.missing"_s)});
        return std::nullopt;
    }
    const std::optional<QJsonObject> fields = pydanticDict(*body);
    if (!fields) {
        *rejection = validationResponse({validationError(
            QJsonArray {u"body"_s}, u"value is not a valid dict"_s, u"type_error.dict"_s)});
        return std::nullopt;
    }

    const QJsonObject& object = *fields;
    QJsonArray errors;
    ChatInput input;
    const QJsonValue message = object.value(u"message"_s);
    if (message.isUndefined()) {
        errors.append(missingMessageError());
    } else if (message.isNull()) {
        errors.append(validationError(QJsonArray {u"body"_s, u"message"_s},
            u"none is not an allowed value"_s, u"type_error.none.not_allowed"_s));
    } else if (const std::optional<QString> text = coerceToString(message)) {
        input.message = *text;
    } else {
        errors.append(validationError(
            QJsonArray {u"body"_s, u"message"_s}, u"str type expected"_s, u"type_error.str"_s));
    }

    const QJsonValue model = object.value(u"model"_s);
    if (model.isNull()) {
        errors.append(validationError(QJsonArray {u"body"_s, u"model"_s},
            u"none is not an allowed value"_s, u"type_error.none.not_allowed"_s));
    } else if (model == u"b"_s) {
        input.model = 1;
    } else if (!model.isUndefined() && model != u"a"_s) {
        errors.append(modelChoiceError(u"body"_s, model));
    }

    if (!errors.isEmpty()) {
        *rejection = validationResponse(errors);
        return std::nullopt;
    }
    return input;
}

} // namespace aimload::sim
