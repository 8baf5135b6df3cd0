#include "agent/requestrecord.h"

using namespace Qt::StringLiterals;

namespace aimload {

QChar modelLetter(Model model)
{
    return model == Model::A ? u'a' : u'b';
}

QString modelLabel(Model model)
{
    return model == Model::A ? u"Model A"_s : u"Model B"_s;
}

QString outcomeName(Outcome outcome)
{
    switch (outcome) {
    case Outcome::Pending:
        return u"pending"_s;
    case Outcome::Ok:
        return u"ok"_s;
    case Outcome::HttpError:
        return u"http_error"_s;
    case Outcome::Timeout:
        return u"timeout"_s;
    case Outcome::ConnectionError:
        return u"connection_error"_s;
    case Outcome::InvalidResponse:
        return u"invalid_response"_s;
    case Outcome::AgentFailure:
        return u"agent_failure"_s;
    case Outcome::Cancelled:
        return u"cancelled"_s;
    }
    return {};
}

bool isFailure(Outcome outcome)
{
    return outcome != Outcome::Ok && outcome != Outcome::Pending && outcome != Outcome::Cancelled;
}

} // namespace aimload
