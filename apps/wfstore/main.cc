#include "cli/cli.h"

int main(int argc, char** argv) { return wfs::cli::Main(argc, argv); }
