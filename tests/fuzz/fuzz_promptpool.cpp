// PromptPool::fromJson() on arbitrary bytes: a pool it accepts keeps the pool's
// promises, and a pool it refuses comes with one error line naming the source.

#include "fuzzcheck.h"
#include "prompts/promptpool.h"

#include <cmath>
#include <cstddef>
#include <cstdint>

using namespace Qt::StringLiterals;
using aimload::PromptPool;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray json
        = QByteArray::fromRawData(reinterpret_cast<const char*>(data), qsizetype(size));
    QString error;
    const std::optional<PromptPool> pool = PromptPool::fromJson(json, u"fuzz.json"_s, &error);
    if (!pool) {
        FUZZ_CHECK(error.startsWith(u"fuzz.json: "_s));
        FUZZ_CHECK(!error.contains(u'\n') && !error.contains(u'\r'));
        return 0;
    }

    FUZZ_CHECK(!pool->isEmpty());
    FUZZ_CHECK(std::isfinite(pool->totalWeight()) && pool->totalWeight() > 0.0);
    int prompts = 0;
    for (const aimload::PromptGroup& group : pool->groups()) {
        FUZZ_CHECK(!group.name.trimmed().isEmpty());
        FUZZ_CHECK(std::isfinite(group.weight) && group.weight > 0.0);
        FUZZ_CHECK(!group.prompts.isEmpty());
        for (const aimload::Prompt& prompt : group.prompts) {
            FUZZ_CHECK(prompt.group == group.name);
            FUZZ_CHECK((prompt.endpoint == aimload::Endpoint::Repair) != prompt.workflow.isEmpty());
            const aimload::Prompt* found = pool->findPrompt(prompt.id);
            FUZZ_CHECK(found && found->id == prompt.id);
        }
        prompts += int(group.prompts.size());
    }
    FUZZ_CHECK(prompts == pool->promptCount());

    std::mt19937_64 rng(size);
    for (int i = 0; i < 16; ++i) {
        const aimload::Prompt& picked = pool->pick(rng);
        FUZZ_CHECK(pool->findPrompt(picked.id) != nullptr);
    }
    FUZZ_CHECK(!pool->summary().isEmpty());
    return 0;
}
