from esps_cli.cli.app import main

main()
