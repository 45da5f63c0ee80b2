from hotline.cli.main import main

raise SystemExit(main())
