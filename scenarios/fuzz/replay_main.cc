// Without libFuzzer: replays every file given (or every file in the given
// folders) through the fuzz target, then mutates them (seeded byte flips,
// truncations, splices) for --seconds=N. Used by the unit tests; a crash is
// a test failure.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  double seconds = 0;
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--seconds=", 0) == 0) {
      seconds = std::stod(arg.substr(10));
      continue;
    }
    std::vector<fs::path> files;
    if (fs::is_directory(arg)) {
      for (const auto& e : fs::directory_iterator(arg)) files.push_back(e.path());
    } else {
      files.push_back(arg);
    }
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      corpus.push_back(ss.str());
    }
  }
  for (const auto& c : corpus)
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(c.data()), c.size());
  uint64_t state = 0x9e3779b97f4a7c15ULL, runs = corpus.size();
  auto next = [&]() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  static const char kTokens[] = ":-[]{}\n #&*!|>'\"\t,?%@0123456789sm";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!corpus.empty() && std::chrono::steady_clock::now() < deadline) {
    std::string s = corpus[next() % corpus.size()];
    int edits = 1 + next() % 8;
    for (int k = 0; k < edits && !s.empty(); ++k) {
      size_t pos = next() % s.size();
      switch (next() % 5) {
        case 0:
          s[pos] = kTokens[next() % (sizeof kTokens - 1)];
          break;
        case 1:
          s.insert(pos, 1, kTokens[next() % (sizeof kTokens - 1)]);
          break;
        case 2:
          s.erase(pos, 1 + next() % 16);
          break;
        case 3:
          s.resize(pos);
          break;
        case 4: {
          const std::string& o = corpus[next() % corpus.size()];
          size_t from = next() % (o.size() + 1);
          s.insert(pos, o.substr(from, next() % 200));
          break;
        }
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    ++runs;
  }
  std::printf("replayed %zu inputs, %llu runs\n", corpus.size(),
              static_cast<unsigned long long>(runs));
  return 0;
}
