import type { Concept } from '../language/gazetteer.js'

/**
 * What customer-service messages talk about, and the words for it in English and Chinese. The
 * model learns how much each concept says about each intent; the lists only need to say which
 * words mean the same thing. Chinese entries are substrings, so keep them specific enough not to
 * fire inside unrelated words (退 alone would fire on 退出登录).
 */
export const CONCEPTS: readonly Concept[] = [
  {
    id: 'greet',
    en: ['hi', 'hello', 'hey', 'hiya', 'howdy', 'greetings', 'yo', 'gm', 'good morning', 'good afternoon', 'good evening', 'anyone there', 'anybody there', 'you there', "g'day", 'good day', 'hii', 'heyy', 'hey all', 'hi all', 'hello all', 'anyone around', 'anybody around', 'anyone about', 'anyone here', 'anyone online', 'anyone awake', 'someone there', 'somebody there', 'see my message', 'reading this', 'this thing on'],
    zh: ['你好', '您好', '哈喽', '哈罗', '嗨', '在吗', '在么', '在嘛', '在不在', '有人吗', '有人在', '有没有人', '早上好', '上午好', '下午好', '晚上好', '中午好', '早安', '在？', '在?', '大家好', '各位好', '你们好', '在线吗', '有人回复'],
  },
  {
    id: 'thanks',
    en: ['thank', 'thanks', 'thx', 'thnx', 'thnks', 'ty', 'thankyou', 'appreciate', 'cheers', 'grateful'],
    zh: ['谢谢', '感谢', '多谢', '谢啦', '谢了', '辛苦', '麻烦你了', '3q'],
  },
  {
    id: 'bye',
    en: ['bye', 'goodbye', 'byebye', 'cya', 'farewell', 'ttyl', 'see you', 'see ya', 'good night', 'take care', 'talk later', 'gotta go', 'signing off', 'have a nice day', 'have a good', 'speak soon', 'enjoy your day', 'lovely evening', 'have a great', 'go now', 'have to go', 'next time', 'catch you', 'logging off', 'log off', 'signing off', 'sign off', 'heading off'],
    zh: ['再见', '拜拜', '拜了', '回头见', '晚安', '下线', '先这样', '再会', '下次再聊', '先走了', '再联系', '先下了', '生活愉快', '下次见', '先撤了', '改天聊', '改天再', '回头聊', '回头再', '回聊', '再聊', '回见', '晚点再来', '有问题再', '不打扰了'],
  },
  {
    id: 'done',
    en: ["that's all", 'thats all', "that's it", 'thats it', 'nothing else', 'no more questions', 'all good', "that's everything", 'solved', 'resolved', 'all set', 'close the chat', 'end the chat', 'that helped', 'helpful', 'got it', 'sorted', 'all sorted'],
    zh: ['没事了', '没有别的', '没别的', '没其他', '没有其他', '就这些', '没问题了', '解决了', '就到这里', '结束对话', '明白了', '了解了', '可以了', '明白啦', '懂了', '收到', '搞定'],
  },
  {
    id: 'price',
    en: ['price', 'pricing', 'cost', 'how much', 'expensive', 'cheap', 'cheaper', 'discount', 'promo', 'promotion', 'sale', 'sales', 'coupon', 'deal', 'deals', 'offer', 'quote'],
    zh: ['多少钱', '价格', '价钱', '便宜', '贵不贵', '优惠', '折扣', '打折', '活动', '收费', '报价', '几块', '多钱', '售价'],
  },
  {
    id: 'product',
    en: ['product', 'products', 'model', 'version', 'size', 'sizes', 'colour', 'color', 'material', 'spec', 'specs', 'specification', 'feature', 'features', 'warranty', 'in stock', 'stock', 'available', 'availability', 'compatible', 'recommend', 'buy', 'purchase', 'plan', 'trial', 'collection', 'launch', 'waterproof', 'battery life', 'included', 'fit', 'brand', 'brands', 'flavour', 'flavor', 'washable', 'store', 'shop', 'showroom', 'opening hours', 'bulk', 'gift', 'best seller', 'suitable', 'preorder', 'pre-order', 'upgrade', 'range', 'catalog', 'catalogue', 'menu', 'dimensions', 'weight', 'international', 'internationally', 'overseas', 'ship to', 'restock', 'restocked', 'back in stock'],
    zh: ['产品', '这款', '哪款', '型号', '尺码', '码数', '颜色', '材质', '参数', '规格', '功能', '保修', '质保', '有货', '现货', '补货', '库存', '兼容', '适合', '推荐', '想买', '购买', '上市', '新款', '试用', '套餐', '配件', '正品', '续航', '防水', '版本', '品牌', '口味', '门店', '实体店', '营业时间', '自提', '批量', '采购', '划算', '礼物', '新品', '翻新', '容量', '包邮', '送货上门', '能寄到', '机洗', '尺寸', '配置', '哪些', '卖吗', '有卖', '预订', '上新', '款式', '大一号', '小一号', '多大', '多重', '几公斤', '进货', '再进', '还会有', '寄到', '国外', '海外', '国际'],
  },
  {
    id: 'order',
    en: ['order', 'orders', 'package', 'parcel', 'shipment', 'delivery', 'courier', 'driver', 'carrier', 'purchase', 'my stuff', 'my items', 'pizza', 'food', 'groceries', 'grocery', 'locker', 'neighbour', 'neighbor', 'redeliver', 'preorder'],
    zh: ['订单', '单子', '包裹', '快递', '物流', '下单', '下的单', '单号', '外卖', '我买的', '快递柜', '驿站', '代收', '预售', '重新送', '派送失败', '买的菜'],
  },
  {
    id: 'shipping',
    en: ['track', 'tracking', 'shipped', 'ship', 'shipping', 'arrive', 'arrived', 'arrival', 'deliver', 'delivered', 'on the way', 'where is', "where's", 'wheres', 'status', 'late', 'stuck', 'customs', 'dispatch', 'dispatched', 'eta', 'out for delivery', 'not received', "haven't received", 'never came', 'still not here', 'any update', 'delivery update', 'on its way', 'delayed', 'delay', 'left the warehouse', 'warehouse', 'depot', 'nowhere'],
    zh: ['到哪', '发货', '到货', '签收', '送到', '派送', '配送', '催', '还没到', '没收到', '没到', '什么时候到', '几天能到', '能到', '寄出', '发了没', '发出', '海关', '揽收', '运输', '进度', '收货地址', '改地址', '动静', '几号到', '待揽收', '没送来', '还没发', '哪一步'],
  },
  {
    // Someone or something that was due and did not come: a courier (order status) or an engineer
    // or a promised call back (complaint) — the words around it decide which.
    id: 'noshow',
    en: ['never showed', 'never turned up', "didn't turn up", 'didnt turn up', "didn't show", 'didnt show', 'no one came', 'nobody came', 'no one turned up', 'nobody turned up', 'nobody showed', 'no one showed', 'never came', 'never arrived', 'no show', 'no-show', 'missed delivery', 'never showed up', 'waited in all day', 'waited all day', 'stood up'],
    zh: ['没人来', '没来', '没上门', '没见人', '没见到人', '没送来', '放鸽子', '白等', '等了一天', '一直没到'],
  },
  {
    id: 'refund',
    en: ['refund', 'refunds', 'refunded', 'money back', 'reimburse', 'reimbursement', 'return', 'returns', 'returned', 'send it back', 'send back', 'give back', 'chargeback', 'compensation', 'compensate', 'store credit', 'return label', 'return policy', 'deposit back', 'my money', 'where is my money', 'reimbursed', 'reimburse me', 'return it', 'return them'],
    zh: ['退款', '退钱', '退货', '退回', '寄回', '退了', '能退', '退吗', '退一', '退这', '退到', '退订', '退换', '仅退款', '赔偿', '补偿', '售后', '押金', '把钱退', '退款进度', '无理由', '钱呢', '退给我', '退的钱', '想退', '退掉', '换大', '换小', '换新', '钱能退', '不合脚', /退(?!出)/, '可以退'],
  },
  {
    id: 'cancel',
    en: ['cancel', 'cancelled', 'canceled', 'cancellation', 'changed my mind', "don't want it", 'dont want it', 'by mistake', 'accidentally', 'unsubscribe'],
    zh: ['取消', '不想要', '不要了', '买错', '重复下单', '买了两次', '拍错'],
  },
  {
    id: 'exchange',
    en: ['exchange', 'swap', 'replace', 'replacement', 'different size', 'another colour', 'another color'],
    zh: ['换货', '换个', '换一个', '换尺码', '换颜色', '换码', '调换', '换成', '能换', '可以换', '想换', '要换', '换一下'],
  },
  {
    id: 'defect',
    en: ['broken', 'damaged', 'defective', 'cracked', 'faulty', 'wrong item', 'not as described', 'missing'],
    zh: ['坏了', '破损', '碎了', '发错', '质量问题', '有瑕疵', '少发', '漏发', '不符'],
  },
  {
    id: 'billing',
    en: ['charge', 'charged', 'charges', 'bill', 'billed', 'billing', 'invoice', 'invoices', 'receipt', 'payment', 'pay', 'paid', 'paying', 'card', 'credit card', 'fee', 'fees', 'debit', 'deducted', 'overcharged', 'renewal', 'renewed', 'auto renew', 'tax', 'vat', 'statement', 'balance', 'installments', 'paypal', 'owe', 'overdue', 'declined', 'checkout', 'subscription', 'bank transfer', 'wire transfer', 'amount', 'total', 'pre-authorization', 'authorisation', 'authorization', 'applied', 'direct debit', 'apple pay', 'google pay', 'billing cycle', 'money taken', 'instalment', 'instalments', 'spread the cost', 'pay monthly', 'monthly payments', 'payment plan'],
    zh: ['扣费', '扣款', '扣钱', '扣了', '多扣', '发票', '账单', '帐单', '付款', '支付', '付了', '付钱', '收据', '银行卡', '信用卡', '续费', '欠费', '费用', '充值', '分期', '支付宝', '微信支付', '税', '抬头', '月费', '年费', '消费记录', '到账', '滞纳金', '余额', '转账', '对公', '金额', '预授权', '币种', '两张卡', '换新卡', '绑定的卡', '绑卡', '抵扣', '减钱', '扣了我', '扣我', '付费', '交钱', '收费', /(?<!折)扣/, /(?<![继持陆连手])续(?!航)/],
  },
  {
    id: 'account',
    en: ['login', 'log in', 'logged', 'logging', 'sign in', 'signin', 'password', 'account', 'username', 'verification', 'verification code', 'otp', 'sms code', 'two factor', '2fa', 'locked', 'hacked', 'credentials', 'email address', 'reset', 'email', 'profile', 'my details'],
    zh: ['登录', '登陆', '登不', '登入', '密码', '账号', '帐号', '账户', '帐户', '验证码', '锁了', '被锁', '被盗', '注销', '用户名', '手机号', '两步验证', '换绑', '重置', '退出登录', '邮箱', '邮件地址', '绑定手机', '个人信息', '资料'],
  },
  {
    id: 'malfunction',
    en: ['crash', 'crashes', 'crashing', 'error', 'errors', 'bug', 'bugs', 'glitch', 'not working', "doesn't work", 'doesnt work', "won't", 'wont', "can't", 'cant', 'cannot', 'unable', 'freeze', 'freezes', 'frozen', 'slow', 'lag', 'blank', 'fail', 'fails', 'failed', 'offline', 'connect', 'wifi', 'bluetooth', 'install', 'installer', 'firmware', 'app', 'website', 'site', 'page', 'load', 'loading', 'upload', 'sync', 'unresponsive', 'turn on', 'settings', 'setup', 'set up', 'api', 'screen', 'device', 'router', 'buffering', 'something went wrong', 'search', 'microphone', 'mic', 'sound', 'audio', 'disconnect', 'disconnecting', 'disconnects', 'keeps', 'link', 'went wrong', 'lags', 'lagging', 'white screen', 'expired', 'stuck on', 'glitchy', 'not loading', 'broken link', 'latest update', 'after the update', 'since the update', 'software update', 'firmware update', 'app update', 'reinstall', 'uninstall', 'reboot', 'restart', 'pairing', 'computer', 'laptop', 'notification', 'notifications', 'factory reset'],
    zh: ['闪退', '崩溃', '报错', '错误', '出错', '卡死', '很卡', '卡顿', '打不开', '用不了', '失败', '没反应', '连不上', '离线', '异常', '加载', '安装', '升级', '固件', '空白', '蓝牙', '网络', '设置', '软件', '网站', '页面', '系统', '开不了机', '开机', '充不进', '耗电', '死机', '扫不出', '上传', '同步', '设备', '连接', '无效', '失效', '断线', '掉线', '缓冲', '搜不', '麦克风', '没声音', '声音', '转圈', '白屏', '装不上', '小程序', '配对', '卡住', '登不进', '进不去', '不好使', '不能用'],
  },
  {
    id: 'complain',
    en: ['complain', 'complaint', 'complaints', 'report you', 'review', 'unacceptable', 'terrible', 'awful', 'horrible', 'worst', 'disappointed', 'disappointing', 'rude', 'unprofessional', 'useless', 'ridiculous', 'scam', 'fraud', 'angry', 'furious', 'fed up', 'frustrated', 'frustrating', 'cheated', 'disgusting', 'disgusted', 'incompetent', 'rip off', 'shame', 'garbage', 'pathetic', 'unfair', 'ignoring', 'ignored', 'nobody', 'consumer protection', 'hung up', 'never again', 'false advertising', 'lawyer', 'sue', 'lied', 'lie', 'liar', 'lying', 'sick of', 'passed around', 'avoid you', 'absurd', 'appalling', 'appalled', 'disgrace', 'mess', 'dissatisfaction', 'dissatisfied', 'unhappy', 'filthy', 'dirty', 'how dare', 'demand', 'kind of service', 'threw', 'bad experience', 'poor service', 'poor quality', 'nightmare', 'outrageous', 'insulting', 'shocking', 'shoddy', 'rubbish', 'junk', 'shambles', 'shambolic', 'farce', 'are a joke', 'is a joke', 'what a joke', 'such a joke', 'total joke', 'complete joke', 'beyond a joke', 'joke of a', 'not good enough', 'not happy', 'let down', 'letdown', 'waste of time', 'wasted my', 'excuses', 'again and again', 'third time', 'fourth time', 'one star', '1 star', 'bad review', 'ashamed', 'treated'],
    zh: ['投诉', '太差', '很差', '差劲', '垃圾', '恶劣', '骗子', '诈骗', '被骗', '骗人', '坑', '失望', '生气', '气死', '受够', '不满', '过分', '恶心', '无语', '太烂', '真烂', '差评', '曝光', '举报', '消协', '什么态度', '态度差', '态度太差', '破服务', '摆设', '霸王', '挂我电话', '没人管', '没人处理', '没人回', '不专业', '无视', '烦死', '不能接受', '极差', '虚假宣传', '黑店', '再也不', '离谱', '欺骗', '乱七八糟', '乱收费', '凭什么', '脏', '说话不算数', '没话说', '受不了', '踢来踢去', '寒心', '丢人', '服了', '怪味', '粗糙', '这叫什么', '气人', '凶', '媒体', '好差', '真差', '质量差', '服务差', '烂', '不像话', '忍无可忍', '是个笑话', '真是笑话', '大笑话', '笑话一样', '抢钱', '敷衍', '推脱', '踢皮球', '不靠谱', '没人理', '不理人', '不负责', '一次又一次', '又是这样', '第三次', '好几次', '一塌糊涂', '不满意', '反省', '太坑'],
  },
  {
    id: 'human',
    en: ['human', 'humans', 'person', 'real person', 'agent', 'representative', 'rep', 'operator', 'someone', 'somebody', 'staff', 'manager', 'supervisor', 'live agent', 'live chat', 'live support', 'call me', 'call back', 'phone number', 'transfer me', 'connect me', 'put me through', 'speak to', 'speak with', 'talk to', 'colleague', 'specialist', 'escalate', 'human being', 'ring', 'hotline', 'actual person', 'someone in charge', 'customer care', 'in charge'],
    zh: ['人工', '真人', '转接', '坐席', '经理', '领导', '主管', '专员', '工作人员', '打电话', '回电话', '回电', '客服电话', '联系客服', '跟人说话', '和人说话', '同事', '人公', '热线', '电话', '客服来', '是人', '负责人', /(?<![没无])人来/, '真人客服', '有人工', '值班'],
  },
  {
    id: 'bot',
    en: ['bot', 'robot', 'chatbot', 'ai', 'machine'],
    zh: ['机器人', '机器', '人工智能', '自动回复'],
  },
  {
    id: 'offtopic',
    en: ['weather', 'joke', 'poem', 'song', 'sing', 'movie', 'music', 'job', 'jobs', 'hiring', 'resume', 'cv', 'internship', 'internships', 'career', 'partner', 'partnership', 'advertise', 'advertising', 'football', 'capital', 'meaning of life', 'bored', 'cat', 'dog', 'dream', 'translate', 'ceo', 'employees', 'lorem', 'favourite', 'favorite', 'siri', 'alexa', 'chatgpt', 'spanish', 'english', 'interview', 'school', 'sponsor', 'curious', 'sky', 'funny', 'who made you', 'time is it', 'a book', 'good book', 'novel', 'podcast', 'restaurant', 'recipe', 'cook', 'dinner', 'lunch', 'breakfast', 'homework', 'essay', 'math', 'maths', 'mountain', 'river', 'ocean', 'moon', 'planet', 'president', 'population', 'world cup', 'bitcoin', 'riddle', 'story', 'tv show', 'netflix', 'apprenticeship', 'apprenticeships', 'placement', 'placements', 'work experience', 'vacancy', 'vacancies', 'graduate', 'volunteer', 'journalist', 'distributor', 'reseller', 'wholesale', 'head office', 'founded', 'married', 'feelings', 'star sign'],
    zh: ['天气', /(?<!是个|真是|大)笑话(?!一样)/, '诗', '唱歌', '唱首', '电影', '音乐', '招人', '招聘', '应聘', '简历', '实习', '合作', '广告', '首都', '无聊', '猫', '狗', '做梦', '翻译', '老板是谁', '多少员工', '星期几', '吃饭了', '最喜欢', '采访', '赞助', '开发的你', '小爱', '英语', '好玩', '心情', '周末', '吃什么', '干嘛', '好奇', '几点了', '谁做的', '讲个笑话', '讲笑话', '说个笑话', '冷笑话', '好书', '看书', '小说', '电视剧', '综艺', '餐厅', '好吃的', '菜谱', '怎么做菜', '旅游', '景点', '作业', '作文', '数学', '新闻', '股票', '彩票', '星座', '故事', '谜语', '兼职', '经销', '代理', '记者', '总部', '成立', '朝代'],
  },
  {
    id: 'ack',
    en: ['ok', 'okay', 'k', 'sure', 'yes', 'yeah', 'yep', 'no', 'nope', 'hmm', 'lol', 'never mind', 'nvm', 'test', 'testing', 'cool', 'fine', 'whatever', 'wait', 'one sec', 'hold on', 'brb', 'think about it', 'sorry', 'wrong chat', 'aha', 'uh'],
    zh: ['好的', '嗯', '哦', '是的', '不是', '算了', '测试', '哈哈', '行吧', '好吧', '等一下', '稍等', '随便', '噢', '考虑一下', '晚点再说', '嗯好'],
  },
]
