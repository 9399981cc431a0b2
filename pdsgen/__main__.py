from pdsgen.cli import main

main()
