// The simulated agent's HTTP request parser on arbitrary bytes. The first byte picks how
// the rest is cut into pieces; fed piece by piece, the parser must give exactly what it
// gives for the same bytes fed at once ("bytes can arrive in any split"), and every
// request it returns must be well formed.

#include "fuzzcheck.h"
#include "sim/httpmessage.h"

#include <cstddef>
#include <cstdint>

using aimload::HttpRequest;
using aimload::HttpRequestParser;

namespace {

struct Parsed
{
    QList<HttpRequest> requests;
    HttpRequestParser::Result last = HttpRequestParser::Result::NeedMore;
    int errorStatus = 0;
};

void drain(HttpRequestParser& parser, Parsed& parsed)
{
    for (int guard = 0; guard < 100000; ++guard) {
        HttpRequest request;
        parsed.last = parser.next(request);
        if (parsed.last != HttpRequestParser::Result::Ready)
            return;
        parsed.requests.append(request);
    }
    FUZZ_CHECK(!"next() keeps answering Ready without new bytes");
}

Parsed parseWhole(QByteArrayView bytes)
{
    HttpRequestParser parser;
    Parsed parsed;
    parser.feed(bytes);
    drain(parser, parsed);
    parsed.errorStatus = parser.errorStatus();
    return parsed;
}

Parsed parseInPieces(QByteArrayView bytes, quint8 pattern)
{
    HttpRequestParser parser;
    Parsed parsed;
    quint32 state = pattern * 2654435761u + 1;
    qsizetype offset = 0;
    while (offset < bytes.size()) {
        state = state * 1664525u + 1013904223u;
        // Mostly short pieces, so that every boundary lands inside a line ending now and then.
        const qsizetype piece = 1 + qsizetype((state >> 24) % (pattern % 2 == 0 ? 4 : 64));
        const QByteArrayView chunk = bytes.sliced(offset, std::min(piece, bytes.size() - offset));
        parser.feed(chunk);
        offset += chunk.size();
        drain(parser, parsed);
    }
    parsed.errorStatus = parser.errorStatus();
    return parsed;
}

bool sameRequest(const HttpRequest& a, const HttpRequest& b)
{
    return a.method == b.method && a.target == b.target && a.versionMinor == b.versionMinor
        && a.headers == b.headers && a.body == b.body;
}

void checkRequest(const HttpRequest& request)
{
    FUZZ_CHECK(!request.method.isEmpty());
    FUZZ_CHECK(request.target.startsWith('/') || request.target == "*");
    FUZZ_CHECK(request.versionMinor == 0 || request.versionMinor == 1);
    for (const auto& [name, value] : request.headers) {
        FUZZ_CHECK(!name.isEmpty() && name == name.toLower());
        FUZZ_CHECK(value == value.trimmed());
    }
    FUZZ_CHECK(request.body.size() == request.header("content-length").toLongLong());
    FUZZ_CHECK(request.body.size() <= HttpRequestParser::MaxBodyBytes);
    FUZZ_CHECK(request.path().size() + request.query().size() <= request.target.size());
    (void)request.keepAlive();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    const QByteArrayView bytes(reinterpret_cast<const char*>(data) + 1, qsizetype(size - 1));

    const Parsed whole = parseWhole(bytes);
    const Parsed pieces = parseInPieces(bytes, data[0]);

    for (const HttpRequest& request : whole.requests)
        checkRequest(request);
    if (whole.last == HttpRequestParser::Result::Error)
        FUZZ_CHECK(QList<int>({400, 411, 413, 431}).contains(whole.errorStatus));

    FUZZ_CHECK(pieces.requests.size() == whole.requests.size());
    for (qsizetype i = 0; i < whole.requests.size(); ++i)
        FUZZ_CHECK(sameRequest(pieces.requests.at(i), whole.requests.at(i)));
    FUZZ_CHECK(pieces.last == whole.last);
    FUZZ_CHECK(pieces.errorStatus == whole.errorStatus);
    return 0;
}
