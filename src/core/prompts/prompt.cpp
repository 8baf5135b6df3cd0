#include "prompts/prompt.h"

using namespace Qt::StringLiterals;

namespace aimload {

QString endpointPath(Endpoint endpoint)
{
    switch (endpoint) {
    case Endpoint::Chat:
        return u"/chat"_s;
    case Endpoint::Repair:
        return u"/repair"_s;
    }
    return {};
}

} // namespace aimload
