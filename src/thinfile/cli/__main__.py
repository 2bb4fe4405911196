from thinfile.cli.app import main

main()
