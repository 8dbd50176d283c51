window.YTD.tweets.part0 = [
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627636110659910"
          ],
          "editableUntil" : "2025-03-01T00:10:22.164Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1463",
      "id_str" : "1895627636110659910",
      "id" : "1895627636110659910",
      "created_at" : "Sat Mar 01 00:10:22 +0000 2025",
      "full_text" : "meadow façade שלום café data quartz שלום prism pixel pixel 👩🏽‍💻 thunder ✨ prism שלום Привет façade lantern meadow thunder signal river falcon harbor",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627643017027911"
          ],
          "editableUntil" : "2025-03-01T00:10:23.810Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "113",
      "id_str" : "1895627643017027911",
      "id" : "1895627643017027911",
      "created_at" : "Sat Mar 01 00:10:23 +0000 2025",
      "full_text" : "✨ signal Привет pixel prism data 📊 pixel quartz 🦉 meadow ember velvet lantern Привет café pixel quartz 研究 prism naïve",
      "lang" : "es"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627653099692360"
          ],
          "editableUntil" : "2025-03-01T00:10:26.214Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2652",
      "id_str" : "1895627653099692360",
      "id" : "1895627653099692360",
      "created_at" : "Sat Mar 01 00:10:26 +0000 2025",
      "full_text" : "🦉 数据 مرحبا",
      "lang" : "es"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627654647837001"
          ],
          "editableUntil" : "2025-03-01T00:10:26.583Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2592",
      "id_str" : "1895627654647837001",
      "id" : "1895627654647837001",
      "created_at" : "Sat Mar 01 00:10:26 +0000 2025",
      "full_text" : "ember 🌊 東京 river مرحبا naïve 🦉 quartz Привет falcon jalapeño archive 🚀 archive smörgåsbord quartz meadow 🌊 Привет quiet maple 👩🏽‍💻 data prism 数据 harbor ember 📊 café harbor data orbit quartz maple river",
      "lang" : "es"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627662054135476",
            "1895627662622536469",
            "1895627662638739520",
            "1895627663011877194"
          ],
          "editableUntil" : "2025-03-01T00:10:28.577Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1762",
      "id_str" : "1895627663011877194",
      "id" : "1895627663011877194",
      "created_at" : "Sat Mar 01 00:10:28 +0000 2025",
      "full_text" : "cobalt lantern archive 研究 signal signal lagoon Привет ember lagoon meadow thunder pixel maple façade orbit Привет smörgåsbord cobalt 🚀 river archive maple archive pixel quiet cobalt 👩🏽‍💻 naïve falcon quiet שלום 研究 مرحبا ember cobalt jalapeño signal quiet velvet",
      "lang" : "und"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627672299987275"
          ],
          "editableUntil" : "2025-03-01T00:10:30.792Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2188",
      "id_str" : "1895627672299987275",
      "id" : "1895627672299987275",
      "created_at" : "Sat Mar 01 00:10:30 +0000 2025",
      "full_text" : "maple Привет data velvet falcon",
      "lang" : "es"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627683886309708"
          ],
          "editableUntil" : "2025-03-01T00:10:33.554Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2085",
      "id_str" : "1895627683886309708",
      "id" : "1895627683886309708",
      "created_at" : "Sat Mar 01 00:10:33 +0000 2025",
      "full_text" : "quiet café café falcon velvet signal 👩🏽‍💻 tundra harbor Привет 研究 📊 meadow quartz 👩🏽‍💻 archive archive signal archive meadow signal שלום 📊 Привет ember façade façade 東京 研究 pixel tundra orbit velvet meadow 🚀 harbor 🦉 Привет مرحبا thunder",
      "lang" : "fr"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627685395321165"
          ],
          "editableUntil" : "2025-03-01T00:10:33.914Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1285",
      "id_str" : "1895627685395321165",
      "id" : "1895627685395321165",
      "created_at" : "Sat Mar 01 00:10:33 +0000 2025",
      "full_text" : "📊 ✨ prism meadow velvet harbor quartz harbor naïve velvet archive cobalt meadow harbor ✨ façade quiet signal مرحبا tundra quartz orbit smörgåsbord 研究 harbor naïve 研究 harbor ember data שלום",
      "lang" : "und"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627686973641038"
          ],
          "editableUntil" : "2025-03-01T00:10:34.290Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2721",
      "id_str" : "1895627686973641038",
      "id" : "1895627686973641038",
      "created_at" : "Sat Mar 01 00:10:34 +0000 2025",
      "full_text" : "🚀 prism 📊 archive maple quiet maple quiet archive quiet cobalt thunder meadow ember Привет pixel 東京 研究 👩🏽‍💻",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627694102004047"
          ],
          "editableUntil" : "2025-03-01T00:10:35.990Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1060",
      "id_str" : "1895627694102004047",
      "id" : "1895627694102004047",
      "created_at" : "Sat Mar 01 00:10:35 +0000 2025",
      "full_text" : "façade lantern naïve data 🚀 café 👩🏽‍💻 👩🏽‍💻 jalapeño meadow שלום data meadow 🦉 Привет data 東京 שלום lagoon",
      "lang" : "ru"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627702376919376"
          ],
          "editableUntil" : "2025-03-01T00:10:37.963Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1120",
      "id_str" : "1895627702376919376",
      "id" : "1895627702376919376",
      "created_at" : "Sat Mar 01 00:10:37 +0000 2025",
      "full_text" : "quiet velvet signal ember cobalt 研究 prism Привет quartz harbor orbit smörgåsbord 🌊 naïve 研究 東京 café lantern lagoon tundra ember signal prism harbor prism maple pixel café ✨ lantern 📊 orbit maple ember quiet",
      "lang" : "fr"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627711048343889"
          ],
          "editableUntil" : "2025-03-01T00:10:40.030Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1629",
      "id_str" : "1895627711048343889",
      "id" : "1895627711048343889",
      "created_at" : "Sat Mar 01 00:10:40 +0000 2025",
      "full_text" : "river 👩🏽‍💻 orbit signal 📊 ember lagoon prism quiet 👩🏽‍💻 👩🏽‍💻 thunder 数据 ember lantern",
      "lang" : "ru"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627713799889234"
          ],
          "editableUntil" : "2025-03-01T00:10:40.686Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "857",
      "id_str" : "1895627713799889234",
      "id" : "1895627713799889234",
      "created_at" : "Sat Mar 01 00:10:40 +0000 2025",
      "full_text" : "façade 👩🏽‍💻 thunder façade שלום שלום tundra 📊 cobalt thunder Привет meadow smörgåsbord smörgåsbord 🦉 prism prism lagoon naïve שלום lagoon",
      "lang" : "und"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627718848979283"
          ],
          "editableUntil" : "2025-03-01T00:10:41.890Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "79",
      "id_str" : "1895627718848979283",
      "id" : "1895627718848979283",
      "created_at" : "Sat Mar 01 00:10:41 +0000 2025",
      "full_text" : "prism prism ember data meadow שלום velvet pixel velvet smörgåsbord meadow tundra naïve Привет maple signal lantern jalapeño tundra 🦉 harbor tundra velvet quartz 東京 研究 café lantern",
      "lang" : "und"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627720423473492"
          ],
          "editableUntil" : "2025-03-01T00:10:42.265Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1985",
      "id_str" : "1895627720423473492",
      "id" : "1895627720423473492",
      "created_at" : "Sat Mar 01 00:10:42 +0000 2025",
      "full_text" : "lantern 研究 velvet مرحبا orbit façade falcon مرحبا naïve 🚀 研究 river quartz smörgåsbord 🦉 🦉 meadow café pixel thunder archive Привет lantern quiet data 🦉",
      "lang" : "de"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627730716950869"
          ],
          "editableUntil" : "2025-03-01T00:10:44.720Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2403",
      "id_str" : "1895627730716950869",
      "id" : "1895627730716950869",
      "created_at" : "Sat Mar 01 00:10:44 +0000 2025",
      "full_text" : "مرحبا ember 🦉 東京 👩🏽‍💻 archive Привет data lantern maple 🦉 שלום quartz",
      "lang" : "ja"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627743163044182"
          ],
          "editableUntil" : "2025-03-01T00:10:47.687Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2964",
      "id_str" : "1895627743163044182",
      "id" : "1895627743163044182",
      "created_at" : "Sat Mar 01 00:10:47 +0000 2025",
      "full_text" : "ember 🦉 thunder quiet lagoon lagoon שלום data orbit orbit ember שלום 📊 東京 pixel façade Привет",
      "lang" : "he"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627758737899863"
          ],
          "editableUntil" : "2025-03-01T00:10:51.400Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1587",
      "id_str" : "1895627758737899863",
      "id" : "1895627758737899863",
      "created_at" : "Sat Mar 01 00:10:51 +0000 2025",
      "full_text" : "signal river smörgåsbord ember 📊 thunder orbit 👩🏽‍💻 quartz ✨ ✨ prism 👩🏽‍💻 ✨ 📊 🦉 مرحبا meadow pixel Привет",
      "lang" : "ar"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627772282237272"
          ],
          "editableUntil" : "2025-03-01T00:10:54.629Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2843",
      "id_str" : "1895627772282237272",
      "id" : "1895627772282237272",
      "created_at" : "Sat Mar 01 00:10:54 +0000 2025",
      "full_text" : "smörgåsbord signal harbor pixel naïve 東京 pixel data lagoon 🦉 研究 falcon quiet smörgåsbord falcon thunder 🦉 harbor orbit archive jalapeño naïve",
      "lang" : "ja"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627786337702233"
          ],
          "editableUntil" : "2025-03-01T00:10:57.981Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1243",
      "id_str" : "1895627786337702233",
      "id" : "1895627786337702233",
      "created_at" : "Sat Mar 01 00:10:57 +0000 2025",
      "full_text" : "meadow cobalt مرحبا ✨ prism 東京 数据 مرحبا 数据",
      "lang" : "ar"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627788081103628",
            "1895627788541657203",
            "1895627788994089306"
          ],
          "editableUntil" : "2025-03-01T00:10:58.614Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "2283",
      "id_str" : "1895627788994089306",
      "id" : "1895627788994089306",
      "created_at" : "Sat Mar 01 00:10:58 +0000 2025",
      "full_text" : "שלום meadow façade Привет lantern 👩🏽‍💻 meadow مرحبا smörgåsbord cobalt 📊 Привет pixel 🦉",
      "lang" : "es"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627795749757275"
          ],
          "editableUntil" : "2025-03-01T00:11:00.225Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "655",
      "id_str" : "1895627795749757275",
      "id" : "1895627795749757275",
      "created_at" : "Sat Mar 01 00:11:00 +0000 2025",
      "full_text" : "meadow jalapeño 数据 quiet 東京 📊 ember مرحبا archive 📊 🦉 ember 🌊 quiet harbor data harbor 東京 harbor 研究 lagoon orbit thunder 🦉",
      "lang" : "ru"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627800410087772"
          ],
          "editableUntil" : "2025-03-01T00:11:01.336Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1844",
      "id_str" : "1895627800410087772",
      "id" : "1895627800410087772",
      "created_at" : "Sat Mar 01 00:11:01 +0000 2025",
      "full_text" : "orbit naïve signal 🚀 signal 📊 naïve meadow thunder orbit quiet pixel meadow cobalt river 👩🏽‍💻 café 📊 maple river lantern harbor café falcon orbit 研究 cobalt thunder",
      "lang" : "fr"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627802714980701"
          ],
          "editableUntil" : "2025-03-01T00:11:01.885Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "731",
      "id_str" : "1895627802714980701",
      "id" : "1895627802714980701",
      "created_at" : "Sat Mar 01 00:11:01 +0000 2025",
      "full_text" : "meadow signal 🦉 quartz smörgåsbord pixel jalapeño 数据 maple meadow 🦉 Привет ✨ falcon smörgåsbord 研究 orbit naïve مرحبا data thunder river maple quiet smörgåsbord",
      "lang" : "ja"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "1895627813221974366"
          ],
          "editableUntil" : "2025-03-01T00:11:04.390Z"
        }
      },
      "retweeted" : false,
      "source" : "Synthetic Web App",
      "entities" : {
        "hashtags" : [],
        "user_mentions" : [],
        "urls" : []
      },
      "favorite_count" : "1555",
      "id_str" : "1895627813221974366",
      "id" : "1895627813221974366",
      "created_at" : "Sat Mar 01 00:11:04 +0000 2025",
      "full_text" : "RT @synth_prism_374: falcon שלום signal café orbit naïve café pixel archive orbit signal river quiet ember 🚀 data quartz",
      "lang" : "und"
    }
  }
]
